using Usher.Core.Models;
using Usher.Core.Repository;

namespace Usher.Core.Tests.Repository;

public sealed class ModelVersionLoaderTests
{
    [Fact]
    public void Instances_Auto_IsOnePerCore_AndAnExplicitCountIsKept()
    {
        Assert.Equal(Environment.ProcessorCount, ModelVersionLoader.Instances(ModelConfig.Default with { Instances = InstanceCount.Auto }));
        Assert.Equal(3, ModelVersionLoader.Instances(ModelConfig.Default with { Instances = new InstanceCount(3) }));
        Assert.Equal(1, ModelVersionLoader.Instances(ModelConfig.Default));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    public void IntraOpThreads_ShareTheCoresAmongInstances_NeverOversubscribing(int instances)
    {
        var threads = ModelVersionLoader.IntraOpThreads(ModelConfig.Default, instances);
        Assert.True(threads >= 1);
        Assert.True(threads * instances <= Math.Max(Environment.ProcessorCount, instances), $"{instances} x {threads} threads on {Environment.ProcessorCount} cores");
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / instances), threads);
    }

    [Fact]
    public void IntraOpThreads_FromTheConfig_Win()
        => Assert.Equal(7, ModelVersionLoader.IntraOpThreads(ModelConfig.Default with { OnnxRuntime = new OnnxRuntimeSettings { IntraOpThreads = 7 } }, 4));
}
