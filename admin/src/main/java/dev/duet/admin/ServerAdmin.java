package dev.duet.admin;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/** Registers a server's {@link ServerAdminMBean} in the platform MBean server, and removes it on close. */
public final class ServerAdmin implements ServerAdminMBean, AutoCloseable {
    private final AdminTarget target;
    private final ObjectName name;

    private ServerAdmin(AdminTarget target, ObjectName name) {
        this.target = target;
        this.name = name;
    }

    public static ServerAdmin register(AdminTarget target) throws JMException {
        ObjectName name = new ObjectName("dev.duet:type=" + target.role() + ",name=" + ObjectName.quote(target.id()));
        ServerAdmin admin = new ServerAdmin(target, name);
        ManagementFactory.getPlatformMBeanServer().registerMBean(admin, name);
        return admin;
    }

    public ObjectName objectName() {
        return name;
    }

    @Override
    public String getRole() {
        return target.role();
    }

    @Override
    public String getId() {
        return target.id();
    }

    @Override
    public boolean isReady() {
        return target.isReady();
    }

    @Override
    public boolean isDraining() {
        return target.isDraining();
    }

    @Override
    public String getStatus() {
        return Json.write(target.status());
    }

    @Override
    public void drain() {
        DrainTrigger.start(target);
    }

    @Override
    public void close() throws JMException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(name)) {
            server.unregisterMBean(name);
        }
    }
}
