package dev.duet.chat;

import dev.duet.admin.AdminTarget;
import dev.duet.ring.HashRing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the admin endpoint and MBean show of a chat server, and its drain. */
public final class ChatServerAdmin implements AdminTarget {
    private final ChatServer server;
    private final Duration drainDeadline;
    private final long started = System.currentTimeMillis();

    public ChatServerAdmin(ChatServer server, Duration drainDeadline) {
        this.server = server;
        this.drainDeadline = drainDeadline;
    }

    @Override
    public String role() {
        return "chat-server";
    }

    @Override
    public String id() {
        return server.id();
    }

    /** On the ring as ZooKeeper has it now, HBase answering, not draining. */
    @Override
    public boolean isReady() {
        return !server.isDraining() && server.isRegistered() && server.isStoreUp();
    }

    @Override
    public boolean isDraining() {
        return server.isDraining();
    }

    @Override
    public Map<String, Object> status() {
        HashRing ring = server.ring().ring();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("role", role());
        status.put("id", id());
        status.put("streams", server.sessions());
        status.put("muxConnections", server.muxConnectionCount());
        status.put("ringEpoch", ring.epoch());
        status.put("ringMembers", ring.members().keySet().stream().sorted().toList());
        status.put("registered", server.isRegistered());
        status.put("zookeeperConnected", server.ring().isConnected());
        status.put("storeUp", server.isStoreUp());
        status.put("draining", server.isDraining());
        status.put("uptimeSeconds", (System.currentTimeMillis() - started) / 1000);
        return status;
    }

    @Override
    public void drain() throws Exception {
        server.drain(drainDeadline);
    }
}
