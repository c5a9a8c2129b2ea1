namespace Usher.Server.Frontends.Http;

/// <summary>
/// The first two stages of one REST inference request's overhead, measured on the router's clock when
/// <c>server.timing_stages</c> is on; <see cref="ServerTiming"/> gives the rest of the overhead as the
/// third stage.
/// </summary>
/// <param name="Read">From the handler's start to the body read (route values, headers and content coding checked before it).</param>
/// <param name="Decode">From the body read to the decoded request.</param>
internal readonly record struct TimingStages(TimeSpan Read, TimeSpan Decode);
