package dev.duet.presenter;

import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.client.ThriftMessageCodec;
import dev.duet.protocol.logging.RateLimitedLog;
import dev.duet.protocol.mux.StreamChannel;
import dev.duet.protocol.mux.StreamResetEvent;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.SessionEndReason;
import dev.duet.thrift.mux.Handover;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.ResetCode;
import dev.duet.thrift.mux.Resume;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.thrift.TException;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Resumes one relayed client's session on its couple's new owner after the old owner handed it over: opens a stream
 * there with the old {@code OPEN} marked as a resumption, and once the new owner accepts ({@code RESUMED}) moves the
 * {@link ClientRelay} onto it, replaying the client bytes the old owner did not consume and then those held since the
 * pause. The client sees nothing of it.
 *
 * <p>The target is the owner the handover names when this presenter's ring has it, else the ring's owner — never the
 * member that handed the session over. A NACK ({@code NOT_OWNER}, {@code OVERLOAD}) or a stream that could not be
 * opened is tried again after {@link #RETRY_MILLIS}, following the owner a {@code NOT_OWNER} names: ring views settle
 * within moments of a change. Anything else, or no acceptance within {@link PresenterConfig#routeTimeout()}, falls back
 * to what happens without a handover: the client gets {@code sessionEnding(MOVED)} and is closed, and reconnects. A
 * draining presenter starts no resumption: its client gets {@code sessionEnding(DRAINING)} at once (and on any
 * fallback while it drains). All of it runs on the
 * client's event loop.
 */
final class StreamHandover implements StreamRoute {
    private static final RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(StreamHandover.class));
    private static final long RETRY_MILLIS = 100;

    private final Routing routing;
    private final Channel client;
    private final ClientRelay clientSide;
    private final Handover handover;
    private final String from;
    private final long startedNanos = System.nanoTime();
    private ScheduledFuture<?> deadline;
    /** The relay of the latest attempt: an answer on an earlier attempt's stream is not ours any more. */
    private StreamRelay current;
    private boolean done;

    /** {@code from}: the member that handed the session over. */
    StreamHandover(Routing routing, Channel client, ClientRelay clientSide, Handover handover, String from) {
        this.routing = routing;
        this.client = client;
        this.clientSide = clientSide;
        this.handover = handover;
        this.from = from;
    }

    void start() {
        deadline = client.eventLoop().schedule(() -> fail("timeout"),
                routing.config().routeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        attempt(handover.isSetOwner() ? handover.getOwner() : null);
    }

    private void attempt(String namedOwner) {
        if (done) {
            return;
        }
        if (!client.isActive()) {
            finish("client_gone");
            return;
        }
        if (routing.pools().isGoingAway()) {
            // Draining: this presenter opens no more streams, so the client had better reconnect elsewhere now.
            fail("presenter_draining");
            return;
        }
        RoutingView.Snapshot view = routing.view().current();
        Member target = target(view.routing(), namedOwner);
        if (target == null) {
            retryLater(null);
            return;
        }
        Open open = handover.getOriginal().deepCopy();
        open.setStreamId(0);
        open.setRingEpoch(view.epoch());
        open.setResume(new Resume(handover.getLastPushedSeq()));
        open.unsetUnreachable();
        if (!view.unreachable().isEmpty()) {
            open.setUnreachable(view.unreachable());
        }
        StreamRelay relay = new StreamRelay(client, this, routing);
        current = relay;
        routing.pools().pool(target).openStream(open, relay, client.eventLoop()).addListener(opened -> {
            if (!opened.isSuccess() && relay == current) {
                retryLater(null);
            }
        });
    }

    private Member target(HashRing ring, String namedOwner) {
        String couple = handover.getOriginal().getCoupleId();
        Member owner = namedOwner == null || namedOwner.equals(from) ? null : ring.member(namedOwner).orElse(null);
        if (owner == null) {
            owner = ring.ownerOf(couple);
        }
        if (owner != null && owner.id().equals(from)) {
            owner = ring.without(Set.of(from)).ownerOf(couple);
        }
        return owner;
    }

    private void retryLater(String namedOwner) {
        if (!done) {
            client.eventLoop().schedule(() -> attempt(namedOwner), RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void accepted(Channel stream, StreamRelay relay) {
        client.eventLoop().execute(() -> {
            if (relay != current || done || !client.isActive()) {
                stream.close();
                return;
            }
            finish("resumed");
            routing.metrics().handoverSettled(System.nanoTime() - startedNanos);
            clientSide.switchTo((StreamChannel) stream, relay, Unpooled.wrappedBuffer(handover.bufferForUnread()));
            relay.startRelaying(clientSide);
        });
    }

    @Override
    public void refused(StreamRelay relay, StreamResetEvent reset) {
        client.eventLoop().execute(() -> {
            if (relay != current || done) {
                return;
            }
            if (reset != null && reset.isRetryable()) {
                retryLater(reset.code() == ResetCode.NOT_OWNER ? reset.owner() : null);
            } else {
                fail(reset == null ? "closed" : reset.code().name().toLowerCase());
            }
        });
    }

    private void finish(String result) {
        done = true;
        deadline.cancel(false);
        routing.metrics().handover(result);
    }

    /**
     * Tells the client its session moved, or that this presenter is draining (a whole frame: the old owner stopped
     * between two), then closes it.
     */
    private void fail(String reason) {
        if (done) {
            return;
        }
        clientSide.abandon();
        if (!client.isActive()) {
            finish("client_gone");
            return;
        }
        finish(reason);
        log.info("handover_failed:" + reason, "could not resume {} of couple {} ({}); the client reconnects",
                handover.getOriginal().getUserId(), handover.getOriginal().getCoupleId(), reason);
        SessionEndReason ending = routing.pools().isGoingAway() ? SessionEndReason.DRAINING : SessionEndReason.MOVED;
        ByteBuf notice;
        try {
            notice = ThriftMessageCodec.encodeFrame(client.alloc(), ThriftMessage.oneway("sessionEnding",
                    new ClientEvents.sessionEnding_args(ending, ending == SessionEndReason.DRAINING
                            ? "presenter draining" : "couple moved")));
        } catch (TException e) {
            client.close();
            return;
        }
        client.writeAndFlush(notice).addListener(ChannelFutureListener.CLOSE);
    }
}
