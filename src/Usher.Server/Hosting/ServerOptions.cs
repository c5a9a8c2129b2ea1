namespace Usher.Server.Hosting;

/// <summary>Settings of the HTTP and gRPC servers (section <c>server</c> of <c>usher.yaml</c>).</summary>
internal sealed class ServerOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Server";

    /// <summary>The address to listen on; default <c>0.0.0.0</c> (every interface).</summary>
    public string Host { get; set; } = "0.0.0.0";

    /// <summary>The HTTP (REST) port; default 8000; 0 = any free port.</summary>
    public int HttpPort { get; set; } = 8000;

    /// <summary>
    /// The gRPC port (HTTP/2 without TLS, <c>inference.GRPCInferenceService</c> and
    /// <c>grpc.health.v1.Health</c>); default 8001; 0 = any free port; -1 = no gRPC endpoint.
    /// </summary>
    public int GrpcPort { get; set; } = 8001;

    /// <summary>The largest gRPC message received or sent; default 64 MiB. Larger messages get RESOURCE_EXHAUSTED.</summary>
    public int GrpcMaxMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The largest request body accepted; default 64 MiB. Larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The most bytes one input tensor may take once decoded (elements times the datatype's size; a
    /// BYTES element counts its bytes plus 32); default 256 MiB, enough for any tensor a body under
    /// the default body limit can spell in JSON. A larger declared tensor is refused with 400 before
    /// it is materialised.
    /// </summary>
    public long MaxTensorBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long a shutdown waits for in-flight requests; default 30 s.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How the server writes its log to the console: <c>text</c> (default; one line per event) or
    /// <c>json</c> (one JSON object per line, with the request id and trace id of the request it was
    /// written in; docs/observability.md).
    /// </summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>
    /// A file of API keys, one <c>NAME KEY</c> per line (<c>#</c> starts a comment); default none: inference
    /// and metadata need no key. With one, those requests must carry <c>Authorization: Bearer KEY</c> or
    /// <c>x-api-key: KEY</c> (401 otherwise); health probes stay open. The file is reloaded when it changes.
    /// </summary>
    public string? ApiKeysFile { get; set; }

    /// <summary>TLS on the REST and gRPC ports (<c>server.tls: {certificate, key}</c>); default none (plain HTTP, h2c).</summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>Rate limits on inference and metadata (<c>server.rate_limits</c>); default none.</summary>
    public RateLimitOptions? RateLimits { get; set; }

    /// <summary>
    /// The memory the loaded model versions may take together (model density, docs/density.md): a size
    /// (<c>2GiB</c>, <c>512MiB</c>) or a percent of the container's memory limit from cgroups (<c>60%</c>).
    /// With a budget, versions are registered at start and loaded on their first request, and the least
    /// recently used idle versions are unloaded to make room. Default none: every version loads at start.
    /// </summary>
    public string? MemoryBudget { get; set; }

    /// <summary>How long a request waits for its version to load on demand (under <see cref="MemoryBudget"/>) before it gets 503; default 60 s.</summary>
    public int ModelLoadTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Under <see cref="MemoryBudget"/>: a version counts as its model file's size times this factor;
    /// default 2 (docs/density.md: measure a model's RSS per loaded version and set it from that).
    /// </summary>
    public double ModelMemoryFactor { get; set; } = Core.Repository.DensitySettings.DefaultSizeFactor;

    /// <summary>
    /// Whether each inference answer's <c>Server-Timing</c> also splits the server's overhead into
    /// stages (<c>read</c>, <c>decode</c>, <c>run</c>; docs/metrics.md);
    /// default false. A diagnostic for measuring where a request's time goes: it costs a few
    /// timestamps and a longer header per answer.
    /// </summary>
    public bool TimingStages { get; set; }

    /// <summary>
    /// Whether <c>usher serve</c> runs each request on the socket engine's thread that read it, instead
    /// of handing it to a thread-pool worker (<see cref="SocketScheduling"/>); default false. Read once,
    /// when the process starts, before it makes a socket: it sets the runtime's
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> for the process. It saves CPU per answer on
    /// small models at high concurrency (docs/configuration.md, "Inline scheduling") and costs tail
    /// latency when the server's cores are shared.
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>
    /// How long, at most, the server warms up through its own frontends before it reports ready; default
    /// 5 s; 0 turns it off. Once it listens and its models are loaded, it sends each ready version
    /// requests over loopback (REST JSON, REST binary, gRPC), the whole path a client's request takes,
    /// until the JIT has compiled what they run at its final tier, so that the first clients get warm
    /// code (docs/benchmarks.md, "Cold start"). These requests are counted nowhere: not in
    /// <c>/metrics</c>, request logs, or a rollout's analysis. Liveness answers throughout.
    /// </summary>
    public double WarmupSeconds { get; set; } = 5;

    /// <summary>Where the cgroup file system is read for a percent <see cref="MemoryBudget"/>; a test points it elsewhere.</summary>
    internal string CgroupRoot { get; set; } = CgroupMemoryLimit.DefaultRoot;

    /// <summary>Every problem with these settings, empty when valid (the rules of <see cref="ServerOptionsValidator"/>).</summary>
    public IEnumerable<string> Validate() => new ServerOptionsValidator().Problems(this);
}
