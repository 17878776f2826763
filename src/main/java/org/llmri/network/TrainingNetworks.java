package org.llmri.network;

import java.util.List;

/**
 * Where decoding gets its networks: the network of a set of training runs treated as one condition.
 * Leave-one-run-out decoding asks for each task's network from its training runs only; its permutation
 * test asks again with the task labels of the training runs shuffled, so {@link #forRuns} may be given
 * runs of several real tasks under one label.
 *
 * <p>The study implements this with the GLM's fixed effects over the given runs and its chosen
 * correction; {@link StoufferNetworks} is the plain fallback for tests and demos.
 */
@FunctionalInterface
public interface TrainingNetworks {
    /** The network of {@code runs}, named {@code label}. */
    Network forRuns(String label, List<RunKey> runs);

    /** The network of task {@code task} from its runs {@code trainingRuns}. */
    default Network forTask(String task, List<Integer> trainingRuns) {
        return forRuns(task, trainingRuns.stream().map(r -> new RunKey(task, r)).toList());
    }
}
