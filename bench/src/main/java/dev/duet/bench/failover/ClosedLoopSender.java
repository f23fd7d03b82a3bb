package dev.duet.bench.failover;

import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.StoreSettings;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.localhbase.LocalHBase;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.thrift.chat.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** One device sending in a closed loop through a presenter: counts its disconnects, keeps the time of every ack. */
final class ClosedLoopSender implements ChatListener {
    final String couple;
    final Map<String, Long> acked = new ConcurrentHashMap<>();
    final AtomicInteger disconnects = new AtomicInteger();
    private final List<Long> ackMillis = new ArrayList<>();
    private final DuetClient client;
    private final Thread thread;
    private volatile boolean running = true;

    ClosedLoopSender(String couple, TokenKeys keys, int port, SelfSignedCertificate certificate) throws Exception {
        this.couple = couple;
        String token = new TokenSigner(keys, Clock.systemUTC()).sign("ann", couple, "bob", Duration.ofHours(1));
        this.client = DuetClient.connect(ClientOptions.of("127.0.0.1", port, token, certificate.certificate()),
                this).get(1, TimeUnit.MINUTES);
        this.thread = new Thread(this::run, "sender-" + couple);
    }

    private void run() {
        for (int n = 1; running; n++) {
            try {
                long seq = client.send("m-" + n, "message " + n).get(2, TimeUnit.MINUTES).getSeq();
                acked.put("m-" + n, seq);
                synchronized (this) {
                    ackMillis.add(System.currentTimeMillis());
                }
                Thread.sleep(20);
            } catch (Exception e) {
                return;
            }
        }
    }

    void start() {
        thread.start();
    }

    void stop() {
        running = false;
        try {
            thread.join(150_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized int acks() {
        return ackMillis.size();
    }

    synchronized long firstAckAfter(long millis) {
        for (long at : ackMillis) {
            if (at > millis) {
                return at;
            }
        }
        return -1;
    }

    /** Longest time without an ack between {@code from} and {@code to} (epoch millis), the window's ends included. */
    synchronized long longestGapMillis(long from, long to) {
        long previous = from;
        long longest = 0;
        for (long at : ackMillis) {
            if (at > from && at <= to) {
                longest = Math.max(longest, at - previous);
                previous = at;
            }
        }
        return Math.max(longest, to - previous);
    }

    @Override
    public void stateChanged(ConnectionState state) {
        if (state == ConnectionState.RECONNECTING) {
            disconnects.incrementAndGet();
        }
    }

    void close() {
        client.close();
    }

    /** Looks every acknowledged message up in HBase; prints a JSON line with {@code label}'s fields first. */
    static void check(LocalHBase hbase, List<ClosedLoopSender> senders, String label) throws Exception {
        int acknowledged = 0;
        int lost = 0;
        int duplicated = 0;
        try (HBaseChatStore store = HBaseChatStore.open(hbase.clientConfiguration(), StoreSettings.defaults(),
                new SimpleMeterRegistry()).get(1, TimeUnit.MINUTES)) {
            for (ClosedLoopSender sender : senders) {
                long last = store.lastSeq(sender.couple).get(1, TimeUnit.MINUTES);
                Map<String, Long> stored = new ConcurrentHashMap<>();
                for (Message message : store.range(sender.couple, 1, last).get(1, TimeUnit.MINUTES)) {
                    if (stored.put(message.getClientMsgId(), message.getSeq()) != null) {
                        duplicated++;
                    }
                }
                for (Map.Entry<String, Long> ack : sender.acked.entrySet()) {
                    acknowledged++;
                    if (!ack.getValue().equals(stored.get(ack.getKey()))) {
                        lost++;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "{%s,\"case\":\"check\",\"acknowledged\":%d,\"lost\":%d,\"duplicated\":%d}%n",
                label, acknowledged, lost, duplicated);
    }
}
