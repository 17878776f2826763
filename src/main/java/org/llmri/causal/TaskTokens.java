package org.llmri.causal;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Task tokens: the token ids a task's texts use and the control texts never do (the steering keyword measure). */
public final class TaskTokens {
    private TaskTokens() {}

    public static Set<Integer> of(List<int[]> task, List<int[]> control) {
        Set<Integer> c = new HashSet<>();
        for (int[] t : control) for (int id : t) c.add(id);
        Set<Integer> out = new TreeSet<>();
        for (int[] t : task) for (int id : t) if (!c.contains(id)) out.add(id);
        return out;
    }
}
