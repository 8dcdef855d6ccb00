/* A small JSON reader for the files the analyzer reads back: its own
 * --format json reports (--baseline).  The whole text is parsed into a
 * tree; bad input gives an error with the byte offset, never a crash
 * (nesting is bounded, every string is checked). */
#ifndef SYNCWATCH_ANALYZER_JSON_READ_H
#define SYNCWATCH_ANALYZER_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

enum jr_type { JR_NULL, JR_BOOL, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT };

struct jr_value {
    enum jr_type type;
    bool b;
    double num;
    char *str;               /* JR_STRING: decoded, UTF-8, NUL-terminated */
    struct jr_value *items;  /* JR_ARRAY elements, JR_OBJECT values */
    char **keys;             /* JR_OBJECT keys */
    size_t n;
};

/* Parses text[0..len).  Returns 0, or -1 with "offset N: what" in err. */
int jr_parse(const char *text, size_t len, struct jr_value *out, char *err, size_t errlen);
void jr_free(struct jr_value *v);

/* The member `key` of an object, or NULL (also when v is no object). */
const struct jr_value *jr_get(const struct jr_value *v, const char *key);
/* The string of member `key`, or NULL when absent or not a string. */
const char *jr_get_str(const struct jr_value *v, const char *key);

#endif
