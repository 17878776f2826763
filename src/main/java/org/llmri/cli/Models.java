package org.llmri.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.tokenizer.TextTokenizer;

/** How commands turn a --model argument into a running model. */
final class Models {
    private Models() {}

    /** A model folder and, for a repo id, where it came from. */
    record Resolved(Path dir, String revision, String commit) {}

    static Resolved resolveWithInfo(String modelArg) {
        return new Resolved(Path.of(modelArg), null, null);
    }

    static Path resolve(String modelArg) {
        return resolveWithInfo(modelArg).dir();
    }

    static LoadedModel open(String modelArg) {
        return LoadedModel.open(resolve(modelArg));
    }

    static TextTokenizer tokenizer(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) throw new LlmriException(modelDir + ": no tokenizer.json (needed to encode prompts)");
        return TextTokenizer.load(file);
    }
}
