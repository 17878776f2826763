package org.llmri.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.ProgressListener;
import org.llmri.io.AtomicFile;

/**
 * Runs the GLM over a scan dataset, or reuses the last run when it is complete, newer than the scan and
 * made with the same options (the record of what it wrote, {@code glm_outputs.json}, is written last).
 */
public final class GlmStage {
    private GlmStage() {}

    static final String RECORD = "glm_outputs.json";

    private record Saved(String options, GlmOutputs.DatasetOutput output) {}

    public static GlmOutputs.DatasetOutput run(Path dataset, Path out, GlmOptions opts, ProgressListener progress) {
        return run(dataset, out, opts, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, progress);
    }

    /**
     * @param level  prompt-level inference (the default: valid on language-model data) or the token-level GLM
     *               (descriptive: its corrections treat tokens as independent)
     * @param family the FWER family of the prompt-level test
     */
    public static GlmOutputs.DatasetOutput run(Path dataset, Path out, GlmOptions opts, InferenceLevel level,
                                               PromptLevelDataset.Family family, ProgressListener progress) {
        // derived getters (e.g. isFixedEffects) are written too; reading ignores them
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        Path record = out.resolve(RECORD);
        String optionsText = opts + ", inference " + level.label() + ", family " + family.label();
        Path scanDone = dataset.resolve(org.llmri.scan.Dataset.DESCRIPTION_FILE);
        try {
            if (Files.isRegularFile(record) && Files.isRegularFile(scanDone)
                    && Files.getLastModifiedTime(record).compareTo(Files.getLastModifiedTime(scanDone)) >= 0) {
                Saved saved = json.readValue(record.toFile(), Saved.class);
                if (saved.options().equals(optionsText) && saved.output() != null) return saved.output();
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable or older record: fit again
        }
        GlmOutputs.DatasetOutput result = level == InferenceLevel.PROMPT
                ? PromptLevelDataset.run(dataset, out, opts, family, progress)
                : GlmDataset.run(dataset, out, opts, progress);
        AtomicFile.write(record, o -> o.write(json.writeValueAsBytes(new Saved(optionsText, result))));
        return result;
    }
}
