package org.llmri.model.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Learns byte-pair-encoding merges from a text: repeatedly joins the most frequent adjacent pair of symbols
 * inside pre-tokenized words. Deterministic: ties go to the pair whose joined text sorts first.
 */
final class BpeTrainer {
    /** One learned rule: the two parts that join into a new token. */
    record Merge(String left, String right) {
        String joined() {
            return left + right;
        }
    }

    private static final java.util.Comparator<Merge> ORDER =
            java.util.Comparator.comparing(Merge::joined).thenComparing(Merge::left);

    private BpeTrainer() {}

    /**
     * Up to {@code maxMerges} merges learned from {@code text}; stops earlier when every word is one token.
     * A pair whose joined text is already in {@code taken} (a special token, say) is never chosen.
     */
    static List<Merge> train(String text, int maxMerges, Set<String> taken) {
        // word (as symbols) -> how often it occurs; TreeMap keyed by the word's text keeps the order fixed
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, List<String>> symbolsOf = new HashMap<>();
        for (List<String> piece : ByteLevel.pieces(text)) {
            String key = String.join("", piece);
            counts.merge(key, 1, Integer::sum);
            symbolsOf.putIfAbsent(key, new ArrayList<>(piece));
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> freq = new ArrayList<>();
        for (var e : counts.entrySet()) {
            words.add(symbolsOf.get(e.getKey()));
            freq.add(e.getValue());
        }

        List<Merge> merges = new ArrayList<>();
        java.util.HashSet<String> known = new java.util.HashSet<>(taken);
        while (merges.size() < maxMerges) {
            Map<Merge, Integer> pairCounts = new LinkedHashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairCounts.merge(new Merge(s.get(i), s.get(i + 1)), freq.get(w), Integer::sum);
                }
            }
            Merge best = null;
            int bestCount = 0;
            for (var e : pairCounts.entrySet()) {
                Merge pair = e.getKey();
                int c = e.getValue();
                if (known.contains(pair.joined())) continue;
                if (best == null || c > bestCount || (c == bestCount && ORDER.compare(pair, best) < 0)) {
                    best = pair;
                    bestCount = c;
                }
            }
            if (best == null) break;
            merges.add(best);
            known.add(best.joined());
            for (List<String> s : words) apply(s, best);
        }
        return merges;
    }

    /** Joins every occurrence of the pair in {@code symbols}, left to right. */
    private static void apply(List<String> symbols, Merge m) {
        for (int i = 0; i + 1 < symbols.size(); i++) {
            if (symbols.get(i).equals(m.left()) && symbols.get(i + 1).equals(m.right())) {
                symbols.set(i, m.joined());
                symbols.remove(i + 1);
            }
        }
    }
}
