using System.Runtime.InteropServices;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Engine;

/// <summary>
/// A version's input and output bound to fixed buffers for a number of rows. It holds a lease on
/// the version, so the version's session outlives the buffers bound to it.
/// </summary>
internal sealed class DirectBinding : IDisposable
{
    private readonly IDirectRunner _runner;

    private DirectBinding(ModelVersion version, DirectLayout layout, int rows, IDirectRunner runner)
    {
        Version = version;
        Layout = layout;
        Rows = rows;
        _runner = runner;
    }

    /// <summary>The bound version; the binding owns one lease on it, released by the session after <see cref="Dispose"/>.</summary>
    public ModelVersion Version { get; }

    public DirectLayout Layout { get; }

    public int Rows { get; }

    /// <summary>Binds <paramref name="rows"/> rows of <paramref name="version"/>; the caller's lease on it becomes the binding's.</summary>
    public static DirectBinding Create(ModelVersion version, DirectLayout layout, int rows)
    {
        var source = (IDirectRunSource)version.Session;
        IDirectRunner runner;
        try
        {
            runner = source.CreateDirectRunner(layout.WithRows(layout.Input, rows), layout.WithRows(layout.Output, rows));
        }
        catch (InvalidOperationException ex)
        {
            throw new UsherEngineException(new InferenceError(InferenceErrorKind.Unsupported, ex.Message));
        }

        return new DirectBinding(version, layout, rows, runner);
    }

    /// <summary>Copies the input in, runs, copies the output out, and records the request and the batch of <see cref="Rows"/> rows in the version's metrics.</summary>
    public void Run<TInput, TOutput>(ReadOnlySpan<TInput> input, Span<TOutput> output, long started, TimeProvider time)
        where TInput : unmanaged
        where TOutput : unmanaged
    {
        MemoryMarshal.AsBytes(input).CopyTo(_runner.Input);
        var computeStarted = time.GetTimestamp();
        try
        {
            _runner.Run();
        }
        catch (InvalidOperationException ex)
        {
            Version.Metrics.Record(RequestObservation.Failed(FailureReason.Backend));
            throw new UsherEngineException(InferenceError.Internal(ex.Message));
        }

        var compute = time.GetElapsedTime(computeStarted);
        MemoryMarshal.Cast<byte, TOutput>(_runner.Output).CopyTo(output);

        // One call is one execution of Rows inferences, as the batcher counts a batch: inference and execution
        // counts and the batch-size histogram read the same for usher batch's direct path as for its request path.
        Version.Metrics.BatchExecuted(Rows, compute);
        Version.Metrics.Record(RequestObservation.Succeeded(TimeSpan.Zero, compute, time.GetElapsedTime(started)));
    }

    public void Dispose() => _runner.Dispose();
}
