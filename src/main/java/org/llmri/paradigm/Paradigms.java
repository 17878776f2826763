package org.llmri.paradigm;

import java.util.List;
import org.llmri.LlmriException;

/** The paradigms shipped with llmri. */
public final class Paradigms {
    public static final String GALACTICA_FMRI = "galactica-fmri";

    private Paradigms() {}

    public static List<String> names() {
        return List.of(GALACTICA_FMRI);
    }

    /** A one-line description for listings. */
    public static String description(String name) {
        return switch (requireKnown(name)) {
            case GALACTICA_FMRI -> "Nencka et al.'s six tasks on Galactica-125M: 5 science topics + random strings, "
                    + "off/on blocks, 2 runs x 640 time points";
            default -> throw new IllegalStateException(name);
        };
    }

    public static Study builtin(String name) {
        return switch (requireKnown(name)) {
            case GALACTICA_FMRI -> galacticaFmri();
            default -> throw new IllegalStateException(name);
        };
    }

    private static String requireKnown(String name) {
        if (!names().contains(name)) {
            throw new LlmriException("no built-in paradigm '" + name + "' (there are: " + String.join(", ", names()) + ")");
        }
        return name;
    }

    /**
     * The paper's tasks with our own documented numbers (the paper's are not public): blocks off on off on off,
     * 4 prompts per block, 32 greedy tokens per prompt with EOS suppressed (640 time points per run), 2 runs per
     * task, each prompt in a fresh context.
     */
    private static Study galacticaFmri() {
        return new Study(
                GALACTICA_FMRI,
                "facebook/galactica-125m",
                List.of("all"),
                StorageDtype.F32,
                new Generation(32, Generation.Strategy.GREEDY, 1.0, 0, 1.0, true, 0),
                ContextMode.FRESH,
                new Design(List.of(Condition.OFF, Condition.ON, Condition.OFF, Condition.ON, Condition.OFF), 4),
                2,
                1234L,
                List.of(
                        new Task("politicalscience", "political science", new PromptSource.BuiltinBank("politicalscience")),
                        new Task("medicalimaging", "medical imaging", new PromptSource.BuiltinBank("medicalimaging")),
                        new Task("paleontology", "paleontology", new PromptSource.BuiltinBank("paleontology")),
                        new Task("archeology", "archeology", new PromptSource.BuiltinBank("archeology")),
                        new Task("pathology", "pathology", new PromptSource.BuiltinBank("pathology")),
                        new Task("randomstrings", "random strings", new PromptSource.RandomStrings(24, 64))),
                new PromptSource.BuiltinBank("control"));
    }
}
