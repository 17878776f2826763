package org.llmri.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The byte-level alphabet of GPT-2-style BPE, as Hugging Face tokenizers' {@code ByteLevel} pre-tokenizer uses it:
 * every byte maps to one printable character (printable Latin-1 bytes map to themselves, the others to U+0100
 * onwards), so any text becomes a string over 256 symbols and decodes back exactly.
 */
final class ByteLevel {
    /** The split that the ByteLevel pre-tokenizer applies before byte mapping (contractions, words, numbers, ...). */
    private static final Pattern SPLIT = Pattern.compile(
            "'(?:s|t|re|ve|m|ll|d)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final char[] BYTE_TO_CHAR = buildByteToChar();

    private ByteLevel() {}

    private static char[] buildByteToChar() {
        char[] map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char) b : (char) next++;
        }
        return map;
    }

    /** The one-character symbol of byte {@code b} (0..255). */
    static String symbol(int b) {
        return String.valueOf(BYTE_TO_CHAR[b & 0xFF]);
    }

    /** The pre-tokenized pieces of {@code text}, each already mapped to byte-level symbols. */
    static List<List<String>> pieces(String text) {
        List<List<String>> out = new ArrayList<>();
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            byte[] utf8 = m.group().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            List<String> symbols = new ArrayList<>(utf8.length);
            for (byte b : utf8) symbols.add(symbol(b));
            out.add(symbols);
        }
        return out;
    }
}
