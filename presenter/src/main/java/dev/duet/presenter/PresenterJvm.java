package dev.duet.presenter;

/**
 * The Netty setting a presenter process runs with unless its JVM was given another: the pooled buffer allocator
 * instead of Netty 4.2's adaptive one. The relay hands every buffer to BoringSSL or to {@code writev} as NIO buffers,
 * and the adaptive allocator makes a new one for each such view (a third of what the presenter allocated while
 * relaying); a pooled buffer keeps its own. Set by {@link PresenterMain} before Netty reads it (once, when its
 * allocator loads); measured with {@code bench/edge.sh} (docs/benchmarks.md, *The edge*).
 */
final class PresenterJvm {
    static final String ALLOCATOR_PROPERTY = "io.netty.allocator.type";

    private PresenterJvm() {
    }

    static void configure() {
        if (System.getProperty(ALLOCATOR_PROPERTY) == null) {
            System.setProperty(ALLOCATOR_PROPERTY, "pooled");
        }
    }
}
