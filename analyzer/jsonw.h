/* JSON string output shared by the JSON and SARIF renderers.  Names come
 * from the traced program (thread names, named semaphores, paths) and may
 * hold anything: control characters are escaped and bytes that are not
 * valid UTF-8 become U+FFFD, so the output is always valid JSON. */
#ifndef SYNCWATCH_ANALYZER_JSONW_H
#define SYNCWATCH_ANALYZER_JSONW_H

#include <stddef.h>
#include <stdio.h>

/* Writes s (NULL = "") as a quoted JSON string. */
void jsonw_str(FILE *out, const char *s);

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when p does not
 * start one.  Shared with the XML writer. */
size_t jsonw_utf8_len(const unsigned char *p);

#endif
