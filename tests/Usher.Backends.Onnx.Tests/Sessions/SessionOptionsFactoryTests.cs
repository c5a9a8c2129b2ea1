using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Sessions;
using Usher.Core.Backends;
using Usher.Core.Models;

namespace Usher.Backends.Onnx.Tests.Sessions;

public sealed class SessionOptionsFactoryTests
{
    private static readonly string[] CpuOnly = ["CPUExecutionProvider"];

    [Fact]
    public void Create_WithThreadsAndOptimizationSettings_SetsThemOnTheSession()
    {
        var settings = new OnnxRuntimeSettings { InterOpThreads = 3, GraphOptimizationLevel = GraphOptimization.Basic };
        using var options = SessionOptionsFactory.Create(Context(settings, intraOpThreads: 2), CpuOnly);

        Assert.Equal(2, options.IntraOpNumThreads);
        Assert.Equal(3, options.InterOpNumThreads);
        Assert.Equal(ExecutionMode.ORT_PARALLEL, options.ExecutionMode);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_BASIC, options.GraphOptimizationLevel);
    }

    [Fact]
    public void Create_WithDefaults_RunsSequentiallyWithAllOptimizations()
    {
        using var options = SessionOptionsFactory.Create(Context(new OnnxRuntimeSettings(), intraOpThreads: 1), CpuOnly);

        Assert.Equal(1, options.IntraOpNumThreads);
        Assert.Equal(ExecutionMode.ORT_SEQUENTIAL, options.ExecutionMode);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_ALL, options.GraphOptimizationLevel);
    }

    [Fact]
    public void Create_WhenServerLeftIntraOpAtZero_TakesTheConfigValue()
    {
        using var options = SessionOptionsFactory.Create(Context(new OnnxRuntimeSettings { IntraOpThreads = 4 }, intraOpThreads: 0), CpuOnly);

        Assert.Equal(4, options.IntraOpNumThreads);
    }

    [Fact]
    public void Create_WithCudaOnACpuOnlyBuild_ThrowsModelLoadExceptionSayingWhatToDo()
    {
        var settings = new OnnxRuntimeSettings { ExecutionProvider = ExecutionProvider.Cuda };

        var error = Assert.Throws<ModelLoadException>(() => SessionOptionsFactory.Create(Context(settings, 1), CpuOnly));

        Assert.Equal(
            "model 'm' version 1: execution_provider 'cuda' was requested but this ONNX Runtime build has no CUDA support " +
            "(available: CPUExecutionProvider); install the GPU build or set execution_provider: cpu",
            error.Message);
    }

    [Fact]
    public void Create_ForAVersionUnderAMemoryBudget_TurnsTheCpuArenaOff_SoThatReleasedSessionsGiveTheirMemoryBack()
    {
        using var budgeted = SessionOptionsFactory.Create(Context(new OnnxRuntimeSettings(), 1) with { ReturnsMemory = true }, CpuOnly);
        using var unbudgeted = SessionOptionsFactory.Create(Context(new OnnxRuntimeSettings(), 1), CpuOnly);

        Assert.False(budgeted.EnableCpuMemArena);
        Assert.True(unbudgeted.EnableCpuMemArena);
    }

    [Fact]
    public void ConfigEntries_ByDefault_TurnIntraOpSpinningOff()
    {
        var entries = SessionOptionsFactory.ConfigEntries(new OnnxRuntimeSettings()).ToList();

        Assert.Contains(("session.intra_op.allow_spinning", "0"), entries);
    }

    [Fact]
    public void ConfigEntries_WhenTheConfigAllowsSpinning_TurnItOn()
    {
        var entries = SessionOptionsFactory.ConfigEntries(new OnnxRuntimeSettings { AllowSpinning = true }).ToList();

        Assert.Contains(("session.intra_op.allow_spinning", "1"), entries);
    }

    [Fact]
    public void Create_WithSpinningOff_BuildsASessionThatRunsOnTwoThreads()
    {
        // ONNX Runtime reads the spinning entry when it builds the session's thread pool.
        using var options = SessionOptionsFactory.Create(Context(new OnnxRuntimeSettings(), intraOpThreads: 2), CpuOnly);
        using var session = new InferenceSession(Usher.Backends.Onnx.Samples.SampleModels.BuildFraud(1), options);

        Assert.Equal(2, options.IntraOpNumThreads);
        Assert.Equal("features", Assert.Single(session.InputNames));
    }

    private static BackendLoadContext Context(OnnxRuntimeSettings settings, int intraOpThreads)
        => new("m", 1, "unused.onnx", settings, intraOpThreads);
}
