using System.Globalization;

namespace Usher.Cli.Profile;

/// <summary>One configuration of the sweep: what <c>config.yaml</c> sets for it, and which version runs.</summary>
/// <param name="Version">The model version measured.</param>
/// <param name="QuantizedFrom">The version this one was quantized from (its <c>quantization.json</c>); null for the version profiled.</param>
/// <param name="BatchSize">The dynamic batcher's largest batch; 1 = dynamic batching off.</param>
/// <param name="Instances">Concurrent executors of the version.</param>
/// <param name="IntraOpThreads">ONNX Runtime threads per run.</param>
/// <param name="IsDefault">The model's own <c>config.yaml</c>, unchanged (its effective instances and threads).</param>
internal sealed record PointConfig(long Version, long? QuantizedFrom, int BatchSize, int Instances, int IntraOpThreads, bool IsDefault = false)
{
    /// <summary>The compute threads the configuration keeps busy at once: instances x intra-op threads.</summary>
    public int Cores => Instances * IntraOpThreads;

    /// <summary>A short stable name, such as <c>v1-b8-i2-t1</c> or <c>v1-default</c>.</summary>
    public string Id => IsDefault
        ? $"v{N(Version)}-default"
        : $"v{N(Version)}-b{N(BatchSize)}-i{N(Instances)}-t{N(IntraOpThreads)}";

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
