/* Recognising trace files by their content (the magic at offset 0), never
 * by their names: SYNCWATCH_OUTPUT may name them anything. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/trace_format.h"
#include "launcher/tracedir.h"

bool tracedir_is_trace_fd(int fd)
{
    char magic[SWT_MAGIC_LEN];
    return pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
           memcmp(magic, SWT_MAGIC, SWT_MAGIC_LEN) == 0;
}

int tracedir_count(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
            continue;
        /* O_NOFOLLOW and O_NONBLOCK: a planted link or FIFO is not a trace
         * and must not be followed or block us. */
        int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && tracedir_is_trace_fd(fd))
            n++;
        close(fd);
    }
    closedir(d);
    return n;
}
