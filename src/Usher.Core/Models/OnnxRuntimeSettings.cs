namespace Usher.Core.Models;

/// <summary>The <c>onnxruntime</c> section of <c>config.yaml</c>: how the backend builds its session.</summary>
internal sealed record OnnxRuntimeSettings
{
    /// <summary>Threads one Run may use inside an operator; null = chosen from cores and instances.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>Threads for running independent operators in parallel; null = ONNX Runtime's default (sequential).</summary>
    public int? InterOpThreads { get; init; }

    /// <summary><c>disable</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (default).</summary>
    public GraphOptimization GraphOptimizationLevel { get; init; } = GraphOptimization.All;

    /// <summary><c>cpu</c> (default) or <c>cuda</c>.</summary>
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>The GPU to use with <see cref="ExecutionProvider.Cuda"/>; default 0.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while they wait for work; default false. Spinning
    /// saves a wake-up per parallel operator when cores sit idle, and burns a core that the server's
    /// HTTP threads need when they do not.
    /// </summary>
    public bool AllowSpinning { get; init; }
}

/// <summary>ONNX Runtime's graph optimization levels.</summary>
internal enum GraphOptimization
{
    /// <summary>No graph optimization.</summary>
    Disable,
    /// <summary>Constant folding, redundant node removal.</summary>
    Basic,
    /// <summary>Basic plus complex node fusions.</summary>
    Extended,
    /// <summary>Everything, including layout optimizations.</summary>
    All,
}

/// <summary>Where ONNX Runtime runs the model.</summary>
internal enum ExecutionProvider
{
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA; an error at load when CUDA is not present.</summary>
    Cuda,
}
