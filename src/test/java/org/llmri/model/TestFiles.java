package org.llmri.model;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Paths of test resources. */
public final class TestFiles {
    private TestFiles() {}

    public static Path resource(String name) {
        URL url = TestFiles.class.getResource("/" + name);
        if (url == null) throw new IllegalStateException("missing test resource " + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path fixture(String folder) {
        return resource("fixtures/" + folder);
    }
}
