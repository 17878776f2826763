package org.llmri.probe;

import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.ForwardHook;
import org.llmri.model.Step;
import org.llmri.model.Tap;

/** A list of interventions on named taps' units, applied at every row of every step. */
public final class Interventions implements ForwardHook {
    /** One intervention on some units (null = every unit) of one tap. */
    public record Target(Tap tap, int[] units, Intervention change) {}

    private final List<Target> targets = new ArrayList<>();

    public Interventions add(Tap tap, int[] units, Intervention change) {
        if (units != null) {
            for (int u : units) {
                if (u < 0 || u >= tap.width()) {
                    throw new LlmriException("intervention on " + tap.name() + ": unit " + u + " is outside 0.." + (tap.width() - 1));
                }
            }
        }
        int need = switch (change) {
            case Intervention.Add a -> a.vector().length;
            case Intervention.Mean m -> m.mean().length;
            default -> tap.width();
        };
        if (need != tap.width()) {
            throw new LlmriException("intervention on " + tap.name() + ": vector has " + need + " values, the tap has " + tap.width());
        }
        targets.add(new Target(tap, units == null ? null : units.clone(), change));
        return this;
    }

    public boolean isEmpty() {
        return targets.isEmpty();
    }

    @Override
    public void at(Tap tap, float[] values, int width, Step step) {
        for (Target t : targets) {
            if (!t.tap().equals(tap)) continue;
            int rows = values.length / width;
            int n = Math.min(rows, step.rows());
            for (int r = 0; r < n; r++) {
                int base = r * width;
                if (t.units() == null) {
                    for (int u = 0; u < width; u++) values[base + u] = t.change().apply(u, values[base + u]);
                } else {
                    for (int u : t.units()) values[base + u] = t.change().apply(u, values[base + u]);
                }
            }
        }
    }

    /** Runs hooks in order: interventions first so that recorders see what flows downstream. */
    public static ForwardHook chain(ForwardHook... hooks) {
        List<ForwardHook> list = new ArrayList<>();
        for (ForwardHook h : hooks) if (h != null && !(h instanceof Interventions i && i.isEmpty())) list.add(h);
        if (list.isEmpty()) return null;
        if (list.size() == 1) return list.get(0);
        ForwardHook[] arr = list.toArray(ForwardHook[]::new);
        return (tap, values, width, step) -> {
            for (ForwardHook h : arr) h.at(tap, values, width, step);
        };
    }
}
