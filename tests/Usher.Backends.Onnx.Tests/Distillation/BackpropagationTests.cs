using Usher.Backends.Onnx.Distillation;

namespace Usher.Backends.Onnx.Tests.Distillation;

public sealed class BackpropagationTests
{
    [Theory]
    [InlineData(1f)]
    [InlineData(3f)]
    public void Gradients_MatchCentralFiniteDifferencesOfTheLoss(float temperature)
    {
        var network = MlpNetwork.Initialize([5, 7, 6, 3], seed: 11);
        const int Rows = 6;
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Rows * 5).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var targets = RandomProbabilities(random, Rows, 3);
        var backprop = new Backpropagation(network, Rows);
        var gradient = new float[network.Parameters.Length];
        backprop.Run(inputs, targets, Rows, temperature, gradient);
        var scratch = new float[gradient.Length];

        const float H = 1e-3f;
        var checkedParameters = 0;
        for (var i = 0; i < network.Parameters.Length; i++)
        {
            var original = network.Parameters[i];
            network.Parameters[i] = original + H;
            var plus = backprop.Run(inputs, targets, Rows, temperature, scratch);
            network.Parameters[i] = original - H;
            var minus = backprop.Run(inputs, targets, Rows, temperature, scratch);
            network.Parameters[i] = original;
            var numeric = (plus - minus) / (2 * H);
            Assert.True(
                Math.Abs(numeric - gradient[i]) <= 2e-3 + (0.02 * Math.Abs(numeric)),
                $"parameter {i}: backpropagation {gradient[i]}, finite differences {numeric}");
            checkedParameters++;
        }

        Assert.Equal((5 * 7) + 7 + (7 * 6) + 6 + (6 * 3) + 3, checkedParameters);
        Assert.Contains(gradient, g => Math.Abs(g) > 1e-3); // not trivially zero
    }

    [Fact]
    public void Loss_IsTemperatureSquaredTimesKlOfSoftenedDistributions()
    {
        float[] logits = [2f, -1f, 0.5f];
        float[] teacher = [0.7f, 0.1f, 0.2f];
        const float T = 2f;
        var targets = new float[3];
        DistillationLoss.Soften(teacher, 3, T, targets);

        var loss = DistillationLoss.Compute(logits, targets, 1, 3, T, []);

        // Independently: p_T ∝ p^(1/T), q_T = softmax(z/T), loss = T² Σ p_T log(p_T / q_T).
        var p = teacher.Select(v => Math.Pow(v, 1 / T)).ToArray();
        p = [.. p.Select(v => v / p.Sum())];
        var q = logits.Select(z => Math.Exp(z / T)).ToArray();
        q = [.. q.Select(v => v / q.Sum())];
        var expected = T * T * p.Zip(q).Sum(x => x.First * Math.Log(x.First / x.Second));
        Assert.Equal(expected, loss, 5);
        Assert.Equal(p[0], targets[0], 5);
    }

    private static float[] RandomProbabilities(Random random, int rows, int classes)
    {
        var values = new float[rows * classes];
        for (var r = 0; r < rows; r++)
        {
            var sum = 0f;
            for (var c = 0; c < classes; c++)
            {
                sum += values[(r * classes) + c] = (float)random.NextDouble() + 0.05f;
            }

            for (var c = 0; c < classes; c++)
            {
                values[(r * classes) + c] /= sum;
            }
        }

        return values;
    }
}
