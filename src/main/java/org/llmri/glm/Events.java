package org.llmri.glm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.llmri.LlmriException;
import org.llmri.io.Tsv;

/**
 * A BIDS events file: one row per event (here: per prompt) with {@code onset} and {@code duration} in the
 * units of the repetition time (time points for llmri scans, seconds for fMRI) and a {@code trial_type}.
 * Rows are the exchangeable segments of max-T permutation.
 */
public record Events(Path file, List<Event> events) {
    /** One row; {@code line} is its line number in the file, for messages. */
    public record Event(double onset, double duration, String trialType, int line) {
        public double end() {
            return onset + duration;
        }
    }

    public static Events read(Path file) {
        Tsv.Table t = Tsv.read(file);
        double[] onset = t.numbers("onset");
        double[] duration = t.numbers("duration");
        if (!t.hasColumn("trial_type")) {
            throw new LlmriException(file + ": no trial_type column (each event needs onset, duration and trial_type, the condition"
                    + " that contrasts name)");
        }
        List<String> type = t.column("trial_type");
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < onset.length; i++) {
            int line = i + 2;
            if (!Double.isFinite(onset[i]) || !Double.isFinite(duration[i])) {
                throw new LlmriException(file + ":" + line + ": onset and duration must be numbers");
            }
            if (duration[i] < 0) throw new LlmriException(file + ":" + line + ": negative duration " + duration[i]);
            String tt = type.get(i).strip();
            if (tt.isEmpty() || tt.equalsIgnoreCase("n/a")) {
                throw new LlmriException(file + ":" + line + ": empty trial_type");
            }
            out.add(new Event(onset[i], duration[i], tt, line));
        }
        if (out.isEmpty()) throw new LlmriException(file + ": no events");
        return new Events(file, List.copyOf(out));
    }

    /** The trial types, sorted (the order of the condition columns, as nilearn orders them). */
    public List<String> conditions() {
        TreeSet<String> s = new TreeSet<>();
        for (Event e : events) s.add(e.trialType());
        return List.copyOf(s);
    }

    /** Checks that every event lies within {@code timePoints} frames of length {@code tr}. */
    public void checkWithin(int timePoints, double tr, Path data) {
        double end = timePoints * tr;
        for (Event e : events) {
            if (e.onset() < 0 || e.end() > end + 1e-9 * Math.max(1, end)) {
                throw new LlmriException(file + ":" + e.line() + ": event [" + fmt(e.onset()) + ", " + fmt(e.end())
                        + ") lies outside the " + timePoints + " time points of " + data.getFileName()
                        + " (events and data do not match)");
            }
        }
    }

    private static String fmt(double v) {
        return Tsv.formatNumber(v);
    }
}
