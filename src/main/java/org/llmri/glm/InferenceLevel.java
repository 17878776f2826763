package org.llmri.glm;

import java.util.Locale;
import org.llmri.LlmriException;

/**
 * Which unit of replication a dataset's test uses: the prompt (prompt means; valid on language-model
 * data, whose tokens within a prompt are not independent) or the time point (the fMRI-style GLM, kept
 * for parity with fMRI tools and descriptive on scan datasets).
 */
public enum InferenceLevel {
    PROMPT, TOKEN;

    public static InferenceLevel parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "prompt", "prompts" -> PROMPT;
            case "token", "tokens", "time", "glm" -> TOKEN;
            default -> throw new LlmriException("--inference: expected prompt or token, got '" + s + "'");
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The one-line warning for corrections on token-level p of data whose events name prompts. */
    public static String tokenWarning(java.util.List<Correction> corrections) {
        return "warning: " + corrections.stream().map(Correction::label).toList() + " on token-level p: tokens of one prompt are not "
                + "independent (they share the prompt), so these p values are too small; the valid test is prompt-level "
                + "(llmri glm --dataset DIR --inference prompt, the default of 'llmri study')";
    }
}
