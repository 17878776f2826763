package org.llmri.report;

import java.util.List;
import java.util.Locale;
import org.llmri.network.Decoding;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;

/** The methods paragraph, written from the settings actually used and the results' own settings. */
public final class Methods {
    private Methods() {}

    /**
     * What the scan and GLM did, as the study knows it. Free-text fields are sentences or phrases
     * written by the part of llmri that did the work.
     *
     * @param model model id or folder, e.g. "facebook/galactica-125m"
     * @param checksum the weights' checksum as the dataset records it (null if unknown)
     * @param units units per time point; {@code taps} the taps they come from
     * @param tasks the task names
     * @param runsPerTask runs per task
     * @param blockPattern the block sequence of a run, e.g. [control, task, control, task, control]
     * @param tokensPerPrompt new tokens per prompt when generating; 0 in reading mode
     * @param generation how tokens were generated, e.g. "greedy decoding with end-of-sequence suppressed, each prompt from a fresh context",
     *                   or in reading mode how prompts were read
     * @param glm one or more sentences on the GLM fit (design, noise model, drift, contrast)
     * @param threshold how the networks were thresholded, e.g. "a family-wise error rate of 0.05 (max-T, 1000 sign-flip permutations)"
     * @param decodingNetworks how decoding built the training networks, e.g. "fixed effects over the training runs at the same threshold"
     * @param software e.g. "llmri 0.1.0 on Java 25"
     */
    public record Facts(String model, String checksum, long units, int taps, List<String> tasks, int runsPerTask, List<String> blockPattern,
            int promptsPerBlock, int tokensPerPrompt, String generation, String glm, String threshold, String decodingNetworks, String software) {
        public Facts {
            tasks = List.copyOf(tasks);
            blockPattern = List.copyOf(blockPattern);
        }
    }

    /** The paragraph; analyses that are null are not mentioned. */
    public static String paragraph(Facts f, Overlap.Result overlap, Repeatability.Result repeatability, Decoding.Result decoding) {
        StringBuilder sb = new StringBuilder();
        int perRun = f.blockPattern().size() * f.promptsPerBlock() * f.tokensPerPrompt();
        sb.append("The model ").append(f.model());
        if (f.checksum() != null && !f.checksum().isBlank()) sb.append(" (weights checksum ").append(f.checksum()).append(')');
        sb.append(" was scanned at ").append(String.format(Locale.ROOT, "%,d", f.units())).append(" units from ").append(f.taps())
                .append(" taps (named module outputs) per time point. ");
        sb.append(capitalised(count(f.tasks().size(), "task"))).append(" (").append(String.join(", ", f.tasks())).append(") were each run ")
                .append(times(f.runsPerTask())).append(" with disjoint prompts. A run was the block sequence ")
                .append(String.join(" ", f.blockPattern())).append(", each block ").append(count(f.promptsPerBlock(), "prompt"));
        if (f.tokensPerPrompt() > 0) {
            sb.append(" of ").append(f.tokensPerPrompt()).append(" new tokens (").append(f.generation()).append("), giving ")
                    .append(perRun).append(" time points per run, one per generated token. ");
        } else {
            // reading mode: a prompt gives as many time points as it has tokens, so runs and blocks differ in length
            sb.append(", ").append(f.generation()).append(", so a block lasts as many time points as its prompts have tokens. ");
        }
        sb.append(sentence(f.glm())).append(' ');
        sb.append("A task's network is the set of units passing the task > control contrast at ").append(f.threshold())
                .append(", with units above and below the control condition kept as separate positive and negative networks. ");
        if (overlap != null) {
            Overlap.Settings s = overlap.settings();
            sb.append("Every pair of task networks was compared by Dice, Jaccard and overlap coefficient, over the whole model and per layer; ")
                    .append("against a null (").append(lowerFirst(overlap.nullModel())).append("), ")
                    .append(s.permutations()).append(" times (seed ").append(s.seed()).append("), and a pair exceeds chance when its ")
                    .append("one-sided permutation p value is a Benjamini\u2013Hochberg discovery at q = ").append(Html.num(s.q(), 3))
                    .append(" among the testable pairs of its table (a pair with an empty network is not testable). ");
        }
        if (repeatability != null) {
            Repeatability.Settings s = repeatability.settings();
            sb.append("Repeatability was measured between runs of the same task by the Dice of their positive networks and the ")
                    .append("Pearson correlation of their z maps, against pairs of runs of different tasks with the same run number; ")
                    .append("within > between was tested by permuting task labels among runs with the same run number (")
                    .append(s.permutations()).append(" permutations, seed ").append(s.seed()).append("). ");
        }
        if (decoding != null) {
            Decoding.Settings s = decoding.settings();
            sb.append("Decoding left one run number out at a time (").append(count(decoding.folds().size(), "fold"))
                    .append("): networks (").append(f.decodingNetworks()).append(") and templates came from the other runs only. ")
                    .append("Activations were divided by each unit's standard deviation over the training runs; a template is a task's ")
                    .append("mean task-block minus control-block activation over its training runs. Each held-out run and each held-out ")
                    .append("task block (minus its run's control mean) was assigned the task whose template it correlated with best ")
                    .append("(over the union of the training networks) and, separately, the task whose positive network had the highest ")
                    .append("mean activation. Chance is ").append(Html.num(100.0 / decoding.tasks().size(), 1))
                    .append("%; p values come from ").append(s.permutations())
                    .append(" permutations of the training runs' task labels (seed ").append(s.seed()).append("), as (count + 1) / (N + 1). ");
        }
        sb.append("Software: ").append(f.software()).append('.');
        return sb.toString();
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static String sentence(String s) {
        String t = s.strip();
        return t.isEmpty() || t.endsWith(".") ? t : t + ".";
    }

    private static String count(int n, String noun) {
        String[] words = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
        String num = n >= 1 && n < words.length ? words[n] : Integer.toString(n);
        return num + " " + noun + (n == 1 ? "" : "s");
    }

    private static String capitalised(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String times(int n) {
        return switch (n) {
            case 1 -> "once";
            case 2 -> "twice";
            default -> n + " times";
        };
    }
}
