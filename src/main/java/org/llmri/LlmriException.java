package org.llmri;

/**
 * The one user-facing error: bad input, a missing file, a refused pickle. Its message is a single line
 * that names the file (or option) and the problem; the CLI prints it and exits with code 2.
 */
public class LlmriException extends RuntimeException {
    public LlmriException(String message) {
        super(message);
    }

    public LlmriException(String message, Throwable cause) {
        super(message, cause);
    }
}
