using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Repository;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Repository;

public sealed class ModelVersionTests
{
    // A stand-in backend session for the lease logic around it; real sessions are tested with ONNX Runtime.
    private sealed class RecordingSession : IBackendSession
    {
        public bool Disposed { get; private set; }

        public Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>>? OnRun { get; set; }

        public IReadOnlyList<TensorSpec> Inputs { get; } = [new("x", DataType.Fp32, [-1, 2])];

        public IReadOnlyList<TensorSpec> Outputs { get; } = [new("y", DataType.Fp32, [-1, 2])];

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
            => OnRun?.Invoke(inputs) ?? [inputs[0].WithName("y")];

        public void Dispose() => Disposed = true;
    }

    private static (ModelVersion Version, RecordingSession Session) Create()
    {
        var session = new RecordingSession();
        var signature = ModelSignatureBuilder.Build("m", ModelConfig.Default, session.Inputs, session.Outputs);
        return (new ModelVersion("m", 1, "test", "stamp", ModelConfig.Default, signature, session, 1, SchedulingContext.Default()), session);
    }

    private static InferenceRequest Request() => new()
    {
        ModelName = "m",
        Id = "r1",
        Inputs = [Tensor.FromSpan<float>("x", DataType.Fp32, [1, 2], [1f, 2f])],
    };

    [Fact]
    public async Task RetireAsync_WithNoRequestsInFlight_ReleasesTheSessionAtOnce()
    {
        var (version, session) = Create();
        await version.RetireAsync(CancellationToken.None);
        Assert.True(session.Disposed);
        Assert.False(version.TryAcquire());
    }

    [Fact]
    public async Task RetireAsync_WaitsForInFlightRequestsBeforeReleasing()
    {
        var (version, session) = Create();
        Assert.True(version.TryAcquire());
        var retiring = version.RetireAsync(CancellationToken.None);

        Assert.False(retiring.IsCompleted);
        Assert.False(session.Disposed);
        Assert.False(version.TryAcquire());
        Assert.True((await version.InferAsync(Request(), CancellationToken.None)).IsSuccess);

        version.Release();
        await retiring;
        Assert.True(session.Disposed);
    }

    [Fact]
    public async Task RetireAsync_WhenCanceled_ReleasesOnlyAfterTheLastRequest()
    {
        var (version, session) = Create();
        Assert.True(version.TryAcquire());
        using var cts = new CancellationTokenSource();
        var retiring = version.RetireAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => retiring);
        Assert.False(session.Disposed);

        // The last lease starts the release without waiting for it; Released says when it is done.
        version.Release();
        await version.Released;
        Assert.True(session.Disposed);
    }

    [Fact]
    public async Task Infer_WhenTheBackendThrows_ReturnsAnInternalErrorForThatRequestOnly()
    {
        var (version, session) = Create();
        session.OnRun = _ => throw new InvalidOperationException("kernel exploded");
        var failed = await version.InferAsync(Request(), CancellationToken.None);
        Assert.Equal(InferenceErrorKind.Internal, failed.Error!.Kind);
        Assert.Contains("kernel exploded", failed.Error.Message, StringComparison.Ordinal);

        session.OnRun = null;
        var ok = await version.InferAsync(Request(), CancellationToken.None);
        Assert.True(ok.IsSuccess);
        Assert.Equal("r1", ok.Value.Id);
        Assert.Equal([1f, 2f], ok.Value.Outputs[0].AsSpan<float>().ToArray());
    }
}
