using Usher.Streaming.Hosting;
using YamlDotNet.RepresentationModel;

namespace Usher.Streaming.Tests.Pipeline;

public sealed class StreamsConfigTests
{
    private static YamlNode Node(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return ((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("streams")];
    }

    [Fact]
    public void Read_BindsEveryKey()
    {
        var specs = StreamsConfig.Read(Node("""
            streams:
              - model: fraud
                source: redis://127.0.0.1:6379/tx
                sink: redis://127.0.0.1:6379/scores?maxlen=1000
                dead_letter: redis://127.0.0.1:6379/dead
                group: g
                consumer: c1
                max_batch: 32
                max_delay: 2ms
                max_in_flight: 512
                max_attempts: 3
                routing_key: parameters.user_id
                claim_idle: 1m
            """), "usher.yaml");

        var spec = Assert.Single(specs);
        Assert.Equal(("fraud", "g", "c1", 32, 512, 3), (spec.Model, spec.Group, spec.Consumer, spec.MaxBatch, spec.MaxInFlight, spec.MaxAttempts));
        Assert.Equal((TimeSpan.FromMilliseconds(2), TimeSpan.FromMinutes(1)), (spec.MaxDelay, spec.ClaimIdle));
        Assert.Equal(["parameters", "user_id"], spec.RoutingKeyPath);
    }

    [Fact]
    public void Read_CollectsEveryProblem()
    {
        var error = Assert.Throws<StreamsConfigException>(() => StreamsConfig.Read(Node("""
            streams:
              - model: fraud
                source: http://nowhere/x
                sink: "-"
                max_batch: many
                colour: blue
            """), "usher.yaml"));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("streams[0].source", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("max_batch: expected a whole number", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("colour: unknown key", StringComparison.Ordinal));
    }
}
