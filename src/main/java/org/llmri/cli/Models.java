package org.llmri.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.hub.ModelResolver;
import org.llmri.model.hub.ResolvedModel;
import org.llmri.model.tokenizer.TextTokenizer;

/**
 * How commands turn a --model argument into a running model: a folder is used as is; a repo id
 * ({@code org/name[@revision]}) goes through the Hugging Face cache, downloading what is missing.
 */
final class Models {
    private Models() {}

    static ResolvedModel resolve(String modelArg) {
        return ModelResolver.fromEnvironment().resolve(modelArg);
    }

    static LoadedModel open(String modelArg) {
        return LoadedModel.open(resolve(modelArg).dir());
    }

    static TextTokenizer tokenizer(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) throw new LlmriException(modelDir + ": no tokenizer.json (needed to encode prompts)");
        return TextTokenizer.load(file);
    }
}
