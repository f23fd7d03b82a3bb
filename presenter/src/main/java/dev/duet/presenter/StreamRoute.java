package dev.duet.presenter;

import dev.duet.protocol.mux.StreamResetEvent;
import io.netty.channel.Channel;

/** Whoever opened a stream for a client and waits for the chat server's answer on it. Called from the stream's loop. */
interface StreamRoute {
    /** The chat server answered on {@code stream}: relay from now on. */
    void accepted(Channel stream, StreamRelay relay);

    /** The stream of {@code relay} ended before the chat server answered; {@code reset} is null for a plain close. */
    void refused(StreamRelay relay, StreamResetEvent reset);
}
