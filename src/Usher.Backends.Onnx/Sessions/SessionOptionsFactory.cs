using Microsoft.ML.OnnxRuntime;
using Usher.Core.Backends;
using Usher.Core.Models;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>Turns a model's <c>onnxruntime</c> settings into ONNX Runtime session options.</summary>
internal static class SessionOptionsFactory
{
    private const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>ONNX Runtime's session config key for spinning intra-op threads ("1" by default in ONNX Runtime).</summary>
    internal const string AllowSpinningKey = "session.intra_op.allow_spinning";

    /// <summary>
    /// The options for <paramref name="context"/>. The intra-op thread count is the server's choice
    /// (<see cref="BackendLoadContext.IntraOpThreads"/>, which already honours the config), falling
    /// back to the config and then to ONNX Runtime's default when it is 0.
    /// </summary>
    /// <param name="context">The version being loaded.</param>
    /// <param name="availableProviders">The execution providers this ONNX Runtime build has.</param>
    /// <exception cref="ModelLoadException">When the settings ask for something this build cannot do.</exception>
    public static SessionOptions Create(BackendLoadContext context, IReadOnlyCollection<string> availableProviders)
    {
        var settings = context.Settings;
        var label = OnnxSession.Label(context);
        var options = new SessionOptions();
        try
        {
            var intraOp = context.IntraOpThreads > 0 ? context.IntraOpThreads : settings.IntraOpThreads ?? 0;
            if (intraOp < 0 || settings.InterOpThreads < 0)
            {
                throw new ModelLoadException($"{label}: thread counts must be >= 0 (intra_op_threads {intraOp}, inter_op_threads {settings.InterOpThreads}); fix onnxruntime in config.yaml");
            }

            options.IntraOpNumThreads = intraOp;
            foreach (var (key, value) in ConfigEntries(settings))
            {
                options.AddSessionConfigEntry(key, value);
            }

            if (settings.InterOpThreads is int interOp)
            {
                options.InterOpNumThreads = interOp;
                if (interOp > 1)
                {
                    // Inter-op threads only run anything when independent operators may run in parallel.
                    options.ExecutionMode = ExecutionMode.ORT_PARALLEL;
                }
            }

            options.GraphOptimizationLevel = settings.GraphOptimizationLevel switch
            {
                GraphOptimization.Disable => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            };

            if (context.ReturnsMemory)
            {
                // Under a memory budget: the CPU arena keeps the blocks a session frees for reuse by
                // any session, so an unloaded version's memory would stay in the process.
                options.EnableCpuMemArena = false;
            }

            if (settings.ExecutionProvider == ExecutionProvider.Cuda)
            {
                AppendCuda(options, settings.DeviceId, availableProviders, label);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The session config entries for <paramref name="settings"/>. Spinning is off unless asked for:
    /// ONNX Runtime's pool threads otherwise spin on a core after each parallel operator, and in a
    /// server whose HTTP threads share the cores that spinning took more CPU than a batched
    /// 3x1024 MLP's compute (docs/benchmarks.md).
    /// </summary>
    internal static IEnumerable<(string Key, string Value)> ConfigEntries(OnnxRuntimeSettings settings)
    {
        yield return (AllowSpinningKey, settings.AllowSpinning ? "1" : "0");
    }

    private static void AppendCuda(SessionOptions options, int deviceId, IReadOnlyCollection<string> availableProviders, string label)
    {
        if (!availableProviders.Contains(CudaProvider))
        {
            throw new ModelLoadException(
                $"{label}: execution_provider 'cuda' was requested but this ONNX Runtime build has no CUDA support " +
                $"(available: {string.Join(", ", availableProviders)}); install the GPU build or set execution_provider: cpu");
        }

        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException(
                $"{label}: the CUDA execution provider failed to start on device {deviceId}: {ex.Message}; check the CUDA and cuDNN libraries and device_id, or set execution_provider: cpu",
                ex);
        }
    }
}
