package dev.duet.admin;

import java.util.Map;

/** What the admin endpoint and the MBean show and control of one server process. */
public interface AdminTarget {
    /** {@code presenter} or {@code chat-server}. */
    String role();

    String id();

    /** Alive and able to answer. */
    default boolean isHealthy() {
        return true;
    }

    /** Accepting work: listening, on the ring if a chat server, and not draining. */
    boolean isReady();

    boolean isDraining();

    /** Facts for {@code GET /status}: numbers, strings, booleans, lists and maps of those. */
    Map<String, Object> status();

    /**
     * Drains, returning when the server is empty or its drain deadline passed; {@link #isDraining()} turns true at
     * the start. The admin endpoint and the MBean run it in the background ({@link DrainTrigger}); a process stopping
     * on SIGTERM runs it in its shutdown hook ({@link ServerProcess}).
     */
    void drain() throws Exception;
}
