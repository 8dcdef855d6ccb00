/* Plugs the lock statistics (lockstats.h) into the analyzer's single pass:
 * a struct model_observer that feeds every lock event in time order (trace
 * mode) or every profile counter slot (profile mode) into a struct lockstats
 * keyed by model indices, and finishes it when the pass is done. */
#ifndef SYNCWATCH_ANALYZER_LOCKSTATS_FEED_H
#define SYNCWATCH_ANALYZER_LOCKSTATS_FEED_H

#include "analyzer/lockstats.h"
#include "analyzer/model.h"
#include "analyzer/report_opts.h"

/* The lockstats thresholds of the report options. */
void lockstats_config_from_opts(struct lockstats_config *c, const struct report_opts *o);

/* Fills obs so that model_build feeds ls; pass it in model_build's observer
 * list.  Locks are fed as their graph node (model_lock.node), so a
 * process-shared lock used by several processes of the run is one lock.
 * After the pass, lockstats_failed(ls) says whether memory ran out. */
void lockstats_observer(struct lockstats *ls, struct model_observer *obs);

/* Whether a lock is CPython's GIL: the model labelled it so, or it has
 * the GIL's condvar pattern (lockstats_lock_row.gil) in a Python process. */
bool lockstats_is_gil(const struct model *m, const struct lockstats_lock_row *r);

/* After the pass: labels "GIL" (model_lock.label, every lock of the node)
 * the locks lockstats_is_gil finds that the model did not label. */
void lockstats_label_model(struct model *m, const struct lockstats *ls);

/* Whether a model lock can be a hotspot or starve anyone: mutex-like
 * objects, and semaphores the model recognised as locks (Python's
 * threading.Lock); not condvars, barriers or counting semaphores. */
bool lockstats_reportable(const struct model *m, uint32_t lock);

#endif
