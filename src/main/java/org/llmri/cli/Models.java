package org.llmri.cli;

import java.nio.file.Path;
import org.llmri.model.LoadedModel;

/** How commands turn a --model argument into a running model. */
final class Models {
    private Models() {}

    static Path resolve(String modelArg) {
        return Path.of(modelArg);
    }

    static LoadedModel open(String modelArg) {
        return LoadedModel.open(resolve(modelArg));
    }
}
