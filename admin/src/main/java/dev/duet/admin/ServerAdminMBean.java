package dev.duet.admin;

/** The JMX face of a server: {@code dev.duet:type=<role>,name=<id>}. */
public interface ServerAdminMBean {
    String getRole();

    String getId();

    boolean isReady();

    boolean isDraining();

    /** The same JSON as {@code GET /status}. */
    String getStatus();

    /** Starts draining. */
    void drain();
}
