/* The catalogue of finding codes: for each code the detectors use, a
 * one-line description and the general help (why it matters, how to fix
 * it), independent of any one finding.  SARIF rules and JUnit use it. */
#ifndef SYNCWATCH_ANALYZER_FINDING_CODES_H
#define SYNCWATCH_ANALYZER_FINDING_CODES_H

struct finding_code_info {
    const char *code;
    const char *name;   /* PascalCase, as SARIF rule names are */
    const char *short_text;
    const char *help;
};

/* The entry of code; a generic one for a code missing from the table. */
const struct finding_code_info *finding_code_info(const char *code);

#endif
