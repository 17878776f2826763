package org.llmri.paradigm;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** Where a task's (or the control condition's) prompts come from. */
public sealed interface PromptSource {

    /** A bank shipped with llmri, written {@code builtin:NAME} in the study YAML. */
    record BuiltinBank(String name) implements PromptSource {
        public BuiltinBank {
            Objects.requireNonNull(name, "name");
        }

        public String ref() {
            return "builtin:" + name;
        }
    }

    /**
     * A bank file: one prompt per line, optionally {@code topic<TAB>prompt}; blank lines and lines
     * starting with {@code #} are skipped.
     *
     * @param ref  the path as written in the study YAML (relative to the YAML's folder)
     * @param file the resolved file
     */
    record FileBank(String ref, Path file) implements PromptSource {
        public FileBank {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(file, "file");
        }
    }

    /** Prompts written in the study YAML itself, in order. */
    record Inline(List<String> prompts) implements PromptSource {
        public Inline {
            prompts = List.copyOf(prompts);
        }
    }

    /**
     * Seeded random strings of letters, digits and punctuation, a new set for every run; deterministic
     * from the study seed, task, run and position (see {@link RandomStrings}).
     */
    record RandomStrings(int minChars, int maxChars) implements PromptSource {}
}
