package org.llmri.network;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;

/**
 * A run's events file read for block averaging: one row per prompt with {@code onset} and
 * {@code duration} in time points, {@code trial_type} {@code task} or {@code control}, and the
 * {@code block} it belongs to ({@code prompt_id} is kept for display). Without a {@code block} column,
 * consecutive rows of one trial type form a block.
 */
public record RunEvents(Path file, List<Event> events) {
    public static final String TASK = "task";
    public static final String CONTROL = "control";

    public record Event(int onset, int duration, String trialType, String block, String promptId) {
        public boolean isTask() {
            return TASK.equals(trialType);
        }

        public int end() {
            return onset + duration;
        }
    }

    /** A block: consecutive prompts of one trial type. */
    public record Block(String id, String trialType, int onset, int end) {
        public boolean isTask() {
            return TASK.equals(trialType);
        }
    }

    public RunEvents {
        events = List.copyOf(events);
    }

    public static RunEvents read(Path file) {
        Tsv.Table t = Tsv.read(file);
        double[] onset = t.numbers("onset"), duration = t.numbers("duration");
        List<String> type = t.column("trial_type");
        List<String> block = t.hasColumn("block") ? t.column("block") : null;
        List<String> prompt = t.hasColumn("prompt_id") ? t.column("prompt_id") : null;
        List<Event> out = new ArrayList<>();
        int derivedBlock = -1;
        String previousType = null;
        for (int i = 0; i < t.rows().size(); i++) {
            String where = file + ":" + (i + 2) + ": ";
            String tt = type.get(i).strip();
            if (!tt.equals(TASK) && !tt.equals(CONTROL)) {
                throw new LlmriException(where + "trial_type must be 'task' or 'control', not '" + tt + "'");
            }
            if (!tt.equals(previousType)) derivedBlock++;
            previousType = tt;
            int on = wholeTimePoints(where, "onset", onset[i]), dur = wholeTimePoints(where, "duration", duration[i]);
            if (dur <= 0) throw new LlmriException(where + "duration must be > 0, not " + dur);
            String b = block == null ? Integer.toString(derivedBlock) : block.get(i).strip();
            out.add(new Event(on, dur, tt, b, prompt == null ? "" : prompt.get(i).strip()));
        }
        if (out.isEmpty()) throw new LlmriException(file + ": no events");
        return new RunEvents(file, out);
    }

    private static int wholeTimePoints(String where, String column, double v) {
        if (Double.isNaN(v) || v < 0 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
            throw new LlmriException(where + column + " must be a whole number of time points >= 0, not " + v);
        }
        return (int) v;
    }

    /** Blocks in order of onset, each the span of its prompts. */
    public List<Block> blocks() {
        Map<String, int[]> span = new LinkedHashMap<>();
        Map<String, String> kind = new LinkedHashMap<>();
        for (Event e : events) {
            String key = e.trialType() + "\u0000" + e.block();
            int[] s = span.computeIfAbsent(key, k -> new int[] {Integer.MAX_VALUE, 0});
            s[0] = Math.min(s[0], e.onset());
            s[1] = Math.max(s[1], e.end());
            kind.put(key, e.trialType());
        }
        List<Block> out = new ArrayList<>();
        for (var e : span.entrySet()) {
            out.add(new Block(e.getKey().substring(e.getKey().indexOf('\u0000') + 1), kind.get(e.getKey()), e.getValue()[0], e.getValue()[1]));
        }
        out.sort(java.util.Comparator.comparingInt(Block::onset));
        return out;
    }

    /** The ids of the task blocks, in order of onset. */
    public List<String> taskBlocks() {
        return blocks().stream().filter(Block::isTask).map(Block::id).toList();
    }

    /**
     * What each time point is: -1 outside every event, 0 in a control event, k + 1 in task block k (of
     * {@link #taskBlocks()}). Events must lie inside the run and must not overlap.
     */
    public int[] timeLabels(int timePoints) {
        List<String> taskBlocks = taskBlocks();
        int[] label = new int[timePoints];
        java.util.Arrays.fill(label, -1);
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            String where = file + ":" + (i + 2) + ": ";
            if (e.end() > timePoints) {
                throw new LlmriException(where + "event ends at time point " + e.end() + ", the run has " + timePoints);
            }
            int value = e.isTask() ? taskBlocks.indexOf(e.block()) + 1 : 0;
            for (int t = e.onset(); t < e.end(); t++) {
                if (label[t] != -1) throw new LlmriException(where + "event overlaps an earlier one at time point " + t);
                label[t] = value;
            }
        }
        return label;
    }
}
