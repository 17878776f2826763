package org.llmri.model.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A loopback stand-in for the Hugging Face Hub that answers as the Hub does: {@code /{repo}/resolve/{rev}/{file}}
 * gives small files directly (200, {@code ETag} = git blob sha1, {@code X-Repo-Commit}) and redirects LFS files
 * (302) to a separate CDN server with {@code X-Linked-Etag} (sha256) and {@code X-Linked-Size}; the CDN honours
 * {@code Range: bytes=N-} with 206. Errors carry {@code X-Error-Code} like the Hub's. Faults can be injected.
 */
final class FakeHub implements AutoCloseable {
    /** One request as the servers saw it. */
    record Request(String server, String method, String path, String range, String authorization) {}

    /** A file at a commit; {@code lfs} files are served through the CDN. */
    record Entry(byte[] bytes, boolean lfs) {}

    static final class Repo {
        final Map<String, String> refs = new ConcurrentHashMap<>();
        final Map<String, Map<String, Entry>> commits = new ConcurrentHashMap<>();
        volatile String requiredToken; // gated: needs this bearer token

        Repo commit(String commit, Map<String, Entry> files) {
            commits.put(commit, Map.copyOf(files));
            return this;
        }

        Repo ref(String name, String commit) {
            refs.put(name, commit);
            return this;
        }
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final CountDownLatch closing = new CountDownLatch(1);

    /** The first CDN GET sends this many bytes, then drops the connection (-1: off). */
    volatile long cutFirstTransferAfter = -1;
    /** The first CDN GET sends this many bytes, then goes silent (-1: off). */
    volatile long stallFirstTransferAfter = -1;
    /** The CDN serves bytes that do not match the advertised sha256. */
    volatile boolean corruptCdn;
    /** LFS redirects leave out X-Linked-Size and the CDN streams without Content-Length (as some mirrors do). */
    volatile boolean sizesUnannounced;
    /** The CDN ignores Range and always answers 200 with the whole file. */
    volatile boolean cdnIgnoresRange;
    private final AtomicBoolean firstCdnGetDone = new AtomicBoolean();

    FakeHub() throws IOException {
        // The CDN is reached under another host name, as the real one is: clients must not send it the token,
        // and huggingface_hub stops following redirects when the host name changes.
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(InetAddress.getByName("localhost"), 0), 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        hub.setExecutor(pool);
        cdn.setExecutor(pool);
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    String cdnEndpoint() {
        return "http://localhost:" + cdn.getAddress().getPort();
    }

    Repo repo(String id) {
        return repos.computeIfAbsent(id, k -> new Repo());
    }

    void rename(String oldId, String newId) {
        renamed.put(oldId, newId);
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clearRequests() {
        requests.clear();
    }

    static String sha256(byte[] b) {
        return digest("SHA-256", b);
    }

    /** The blob id git gives a file, which the Hub sends as ETag for non-LFS files. */
    static String gitBlobSha1(byte[] b) {
        byte[] header = ("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[header.length + b.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(b, 0, all, header.length, b.length);
        return digest("SHA-1", all);
    }

    /** A commit-hash-shaped id derived from a name. */
    static String commitId(String name) {
        return digest("SHA-1", name.getBytes(StandardCharsets.UTF_8));
    }

    private static String digest(String alg, byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String server, HttpExchange ex) {
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
    }

    private void handleHub(HttpExchange ex) throws IOException {
        record("hub", ex);
        try (ex) {
            String raw = ex.getRequestURI().getRawPath();
            int at = raw.indexOf("/resolve/");
            if (at < 0) {
                error(ex, 404, null, null);
                return;
            }
            String repoId = raw.substring(1, at);
            String rest = raw.substring(at + "/resolve/".length());
            if (repoId.split("/").length > 2) { // not a repository path at all: a plain web 404
                error(ex, 404, null, null);
                return;
            }
            if (renamed.containsKey(repoId)) { // renamed repositories redirect relatively, as the Hub does
                ex.getResponseHeaders().set("Location", "/" + renamed.get(repoId) + "/resolve/" + rest);
                ex.sendResponseHeaders(307, -1);
                return;
            }
            Repo repo = repos.get(repoId);
            if (repo == null) {
                error(ex, 401, "RepoNotFound", null);
                return;
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (repo.requiredToken != null && !("Bearer " + repo.requiredToken).equals(auth)) {
                error(ex, 403, "GatedRepo", null);
                return;
            }
            int slash = rest.indexOf('/');
            String rev = URLDecoder.decode(rest.substring(0, slash), StandardCharsets.UTF_8);
            String file = URLDecoder.decode(rest.substring(slash + 1), StandardCharsets.UTF_8);
            String commit = repo.refs.getOrDefault(rev, repo.commits.containsKey(rev) ? rev : null);
            if (commit == null) {
                error(ex, 404, "RevisionNotFound", null);
                return;
            }
            Entry e = repo.commits.get(commit).get(file);
            if (e == null) {
                error(ex, 404, "EntryNotFound", commit);
                return;
            }
            var h = ex.getResponseHeaders();
            h.set("X-Repo-Commit", commit);
            if (e.lfs()) {
                String sha = sha256(e.bytes());
                blobs.put(sha, e.bytes());
                h.set("ETag", "\"" + gitBlobSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha)
                        .getBytes(StandardCharsets.UTF_8)) + "\"");
                h.set("X-Linked-Etag", "\"" + sha + "\"");
                if (!sizesUnannounced) h.set("X-Linked-Size", Long.toString(e.bytes().length));
                h.set("Location", cdnEndpoint() + "/blobs/" + sha + "?signature=loopback");
                ex.sendResponseHeaders(302, -1);
                return;
            }
            h.set("ETag", "\"" + gitBlobSha1(e.bytes()) + "\"");
            if (ex.getRequestMethod().equals("HEAD")) {
                h.set("Content-Length", Integer.toString(e.bytes().length));
                ex.sendResponseHeaders(200, -1);
            } else {
                ex.sendResponseHeaders(200, e.bytes().length);
                ex.getResponseBody().write(e.bytes());
            }
        }
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        record("cdn", ex);
        try {
            String path = ex.getRequestURI().getRawPath();
            byte[] data = path.startsWith("/blobs/") ? blobs.get(path.substring("/blobs/".length())) : null;
            if (data == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            if (corruptCdn) {
                data = data.clone();
                data[data.length / 2] ^= 0x5A;
            }
            long from = 0;
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null && !cdnIgnoresRange) {
                from = Long.parseLong(range.replaceAll("bytes=(\\d+)-", "$1"));
                if (from >= data.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                    ex.sendResponseHeaders(416, -1);
                    ex.close();
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
            }
            int status = range != null && !cdnIgnoresRange ? 206 : 200;
            long length = data.length - from;
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", Long.toString(length));
                ex.sendResponseHeaders(status, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(status, sizesUnannounced && status == 200 ? 0 : length); // 0: chunked
            OutputStream out = ex.getResponseBody();
            boolean first = firstCdnGetDone.compareAndSet(false, true);
            long cut = first ? cutFirstTransferAfter : -1;
            long stall = first ? stallFirstTransferAfter : -1;
            long limit = cut >= 0 ? cut : stall >= 0 ? stall : length;
            out.write(data, (int) from, (int) Math.min(limit, length));
            out.flush();
            // Throwing without closing the exchange makes the server drop the connection mid-body: no final
            // chunk, fewer bytes than Content-Length, exactly what a network cut looks like to the client.
            if (cut >= 0) throw new IOException("fake hub: dropping the connection after " + cut + " bytes");
            if (stall >= 0) {
                awaitClose();
                throw new IOException("fake hub: stalled transfer abandoned");
            }
            ex.close();
        } catch (RuntimeException e) {
            ex.close();
            throw e;
        }
    }

    private void awaitClose() {
        try {
            closing.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void error(HttpExchange ex, int status, String code, String commit) throws IOException {
        if (code != null) {
            ex.getResponseHeaders().set("X-Error-Code", code);
            ex.getResponseHeaders().set("X-Error-Message", code);
        }
        if (commit != null) ex.getResponseHeaders().set("X-Repo-Commit", commit);
        ex.sendResponseHeaders(status, -1);
    }

    static Map<String, Entry> files(Object... nameBytesLfs) {
        Map<String, Entry> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameBytesLfs.length; i += 3) {
            m.put((String) nameBytesLfs[i], new Entry((byte[]) nameBytesLfs[i + 1], (Boolean) nameBytesLfs[i + 2]));
        }
        return m;
    }


    @Override
    public void close() {
        closing.countDown();
        hub.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
    }
}
