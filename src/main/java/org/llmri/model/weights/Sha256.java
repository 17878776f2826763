package org.llmri.model.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.llmri.LlmriException;

/**
 * Checksums of weight files. One file: its plain SHA-256, the value {@code sha256sum} prints and the Hugging
 * Face Hub shows for LFS files. Several files (shards): the SHA-256 of the lines {@code sha256sum} would print
 * for them, in the order given ("&lt;hex&gt;  &lt;file name&gt;\n" each).
 */
public final class Sha256 {
    private Sha256() {}

    public static String ofFile(Path file) {
        MessageDigest md = digest();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String ofFiles(List<Path> files) {
        if (files.isEmpty()) throw new IllegalArgumentException("no files to checksum");
        if (files.size() == 1) return ofFile(files.getFirst());
        StringBuilder lines = new StringBuilder();
        for (Path f : files) lines.append(ofFile(f)).append("  ").append(f.getFileName()).append('\n');
        return HexFormat.of().formatHex(digest().digest(lines.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
