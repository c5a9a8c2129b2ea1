using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// A backend without a runtime: every model is an identity over FP32 <c>[-1, 2]</c> (input <c>x</c>,
/// output <c>y</c>); it counts loads and live sessions, and holds loads while <see cref="Gate"/> is closed.
/// </summary>
internal sealed class FakeBackend : IModelBackend
{
    private static readonly TensorSpec[] Inputs = [new("x", DataType.Fp32, [-1, 2])];
    private static readonly TensorSpec[] Outputs = [new("y", DataType.Fp32, [-1, 2])];
    private int _loads;
    private int _live;

    public string Platform => "fake";

    public string ModelFileName => "model.onnx";

    /// <summary>Loads wait for it; completed unless a test replaces it.</summary>
    public TaskCompletionSource Gate { get; set; } = Completed();

    public int Loads => Volatile.Read(ref _loads);

    /// <summary>Completed when a load first reaches the backend (before <see cref="Gate"/>).</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Sessions loaded and not disposed.</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>The models loaded, in order.</summary>
    public List<string> Loaded { get; } = [];

    /// <summary>What the last load was asked with.</summary>
    public BackendLoadContext? LastContext { get; private set; }

    /// <summary>When set, each session adds <see cref="Footprint"/> bytes to it while loaded (a process's RSS).</summary>
    public FakeProcessMemory? Memory { get; set; }

    /// <summary>The bytes each session adds to <see cref="Memory"/>.</summary>
    public long Footprint { get; set; }

    /// <summary>The bytes each load adds to <see cref="Memory"/> only while it runs.</summary>
    public long Transient { get; set; }

    /// <summary>The bytes of each session that stay in <see cref="Memory"/> after it is released (what an allocator keeps).</summary>
    public long Leak { get; set; }

    public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        await Gate.Task.WaitAsync(cancellationToken);
        Interlocked.Increment(ref _loads);
        Interlocked.Increment(ref _live);
        lock (Loaded)
        {
            Loaded.Add($"{context.ModelName}:{context.Version}");
            LastContext = context;
        }

        Memory?.Add(Footprint + Transient);
        Memory?.Add(-Transient);
        return new Session(this, Footprint - Leak);
    }

    /// <summary>Writes a model file of <paramref name="bytes"/> bytes (its size is what the budget counts), all <paramref name="fill"/>.</summary>
    public static void Write(string repository, string model, long version, int bytes, byte fill = 0)
    {
        var directory = Path.Combine(repository, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var content = new byte[bytes];
        Array.Fill(content, fill);
        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), content);
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    private sealed class Session(FakeBackend owner, long footprint) : IBackendSession
    {
        IReadOnlyList<TensorSpec> IBackendSession.Inputs => Inputs;

        IReadOnlyList<TensorSpec> IBackendSession.Outputs => Outputs;

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
            => [Tensor.FromBytes("y", DataType.Fp32, [.. inputs[0].Shape], inputs[0].Data.ToArray())];

        public void Dispose()
        {
            Interlocked.Decrement(ref owner._live);
            owner.Memory?.Add(-footprint);
        }
    }
}
