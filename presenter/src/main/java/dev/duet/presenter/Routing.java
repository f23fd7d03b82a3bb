package dev.duet.presenter;

import dev.duet.protocol.auth.TokenVerifier;
import dev.duet.ring.RingMembership;

/** What every {@link FirstPacketRouter} shares: token checks, the ring, the mux pools, the limits, the meters. */
record Routing(TokenVerifier verifier, RingMembership ring, MuxPools pools, PresenterConfig config,
               PresenterMetrics metrics) {
}
