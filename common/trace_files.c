/* Recognising trace files by their content (the magic at offset 0), never
 * by their names: SYNCWATCH_OUTPUT may name them anything. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/trace_format.h"
#include "common/trace_files.h"

bool swt_fd_is_trace(int fd)
{
    char magic[SWT_MAGIC_LEN];
    return pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
           memcmp(magic, SWT_MAGIC, SWT_MAGIC_LEN) == 0;
}

bool swt_dirent_is_trace(int dfd, const char *name)
{
    /* O_NOFOLLOW and O_NONBLOCK: a planted link or FIFO is not a trace
     * and must not be followed or block us. */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool trace = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && swt_fd_is_trace(fd);
    close(fd);
    return trace;
}

int swt_dir_count_traces(const char *dir)
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
        if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) && swt_dirent_is_trace(dfd, e->d_name))
            n++;
    }
    closedir(d);
    return n;
}
