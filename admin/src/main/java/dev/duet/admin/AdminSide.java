package dev.duet.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.JMException;

/**
 * What operations sees of one running server: its admin HTTP endpoint and its MBean, opened over its
 * {@link ServerMeters}. It owns the meters from then on: closing it — after the server — closes the endpoint, the
 * MBean and the meters.
 */
public final class AdminSide implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminSide.class);

    private final AdminServer endpoint;
    private final ServerAdmin mbean;
    private final ServerMeters meters;

    private AdminSide(AdminServer endpoint, ServerAdmin mbean, ServerMeters meters) {
        this.endpoint = endpoint;
        this.mbean = mbean;
        this.meters = meters;
    }

    /**
     * Starts the endpoint on {@code bind:port} (port 0: a free one), its actions guarded by {@code token}, and
     * registers the MBean.
     */
    public static AdminSide open(AdminTarget target, ServerMeters meters, AdminToken token, String bind, int port)
            throws InterruptedException, JMException {
        AdminServer endpoint = AdminServer.start(target, meters, token, bind, port);
        try {
            return new AdminSide(endpoint, ServerAdmin.register(target), meters);
        } catch (JMException | RuntimeException e) {
            endpoint.close();
            throw e;
        }
    }

    /** The admin endpoint's port. */
    public int port() {
        return endpoint.port();
    }

    @Override
    public void close() {
        endpoint.close();
        try {
            mbean.close();
        } catch (JMException e) {
            log.warn("unregistering {} failed: {}", mbean.objectName(), e.toString());
        } finally {
            meters.close();
        }
    }
}
