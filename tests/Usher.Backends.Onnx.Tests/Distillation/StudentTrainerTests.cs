using Usher.Backends.Onnx.Distillation;
using Usher.Backends.Onnx.Samples;
using Xunit.Abstractions;

namespace Usher.Backends.Onnx.Tests.Distillation;

public sealed class StudentTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void Train_SameSeed_SameNetwork_AndItLearnsASmoothTeacher()
    {
        var (inputs, teacher) = SmoothTeacher(rows: 1500);
        var options = new TrainingOptions(Temperature: 2f, Epochs: 60, Seed: 4, Patience: 60);

        var first = StudentTrainer.Train([6, 16, 3], inputs, teacher, 1500, options);
        var second = StudentTrainer.Train([6, 16, 3], inputs, teacher, 1500, options);

        Assert.Equal(first.Network.Parameters, second.Network.Parameters);
        Assert.Equal(first.Epochs, second.Epochs);
        Assert.Equal(300, first.HeldOut.Count);
        Assert.True(first.Best.HeldOutAgreement >= 0.9, $"held-out agreement {first.Best.HeldOutAgreement}");
        Assert.True(first.Epochs[^1].Loss < first.Epochs[0].Loss, "the training loss did not fall");

        // The agreement the trainer reports is the kept network's, recomputed here from the raw inputs.
        var agreeing = first.HeldOut.Count(r =>
        {
            var p = StudentGraphTests.PlainForward(first.Network, inputs.AsSpan(r * 6, 6).ToArray());
            return Array.IndexOf(p, p.Max()) == ArgMax(teacher.AsSpan(r * 3, 3));
        });
        Assert.Equal(first.Best.HeldOutAgreement, (double)agreeing / first.HeldOut.Count, 6);

        var other = StudentTrainer.Train([6, 16, 3], inputs, teacher, 1500, options with { Seed = 5 });
        Assert.NotEqual(first.Network.Parameters, other.Network.Parameters);
    }

    [Fact]
    public void Train_StopsEarly_WhenHeldOutAgreementStopsImproving()
    {
        var (inputs, teacher) = SmoothTeacher(rows: 400);

        var trained = StudentTrainer.Train([6, 8, 3], inputs, teacher, 400, new TrainingOptions(Epochs: 200, Patience: 2, Seed: 2));

        Assert.True(trained.Epochs.Count < 200, $"ran all {trained.Epochs.Count} epochs");
        Assert.Equal(trained.BestEpoch + 2, trained.Epochs.Count);
        Assert.Equal(trained.Epochs.Max(e => e.HeldOutAgreement), trained.Best.HeldOutAgreement);
    }

    [Fact]
    public void FraudTeacher_TrainsQuickly_AndIsDecentOnFreshRows()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var teacher = FraudTeacher.Train();
        output.WriteLine($"fraud-teacher trained in {clock.Elapsed.TotalSeconds:0.00} s, {teacher.Epochs.Count} epochs, held-out accuracy {teacher.Best.HeldOutAgreement:P2}");

        var (features, labels) = FraudDataset.Generate(seed: 99, rows: 2000);
        var logits = teacher.Network.Logits(features, 2000);
        var correct = Enumerable.Range(0, 2000).Count(r => (logits[(r * 2) + 1] > logits[r * 2] ? 1 : 0) == labels[r]);
        var ruleCorrect = Enumerable.Range(0, 2000).Count(r => (FraudDataset.Score(features.AsSpan(r * 30, 30)) > 1.5 ? 1 : 0) == labels[r]);
        output.WriteLine($"accuracy on fresh rows: teacher {correct / 2000.0:P2}, the noiseless rule {ruleCorrect / 2000.0:P2}");
        Assert.True(correct >= 0.85 * 2000, $"teacher accuracy {correct / 2000.0:P2}");
        var fraud = labels.Count(l => l == 1) / 2000.0;
        Assert.InRange(fraud, 0.2, 0.45);
    }

    // A fixed random linear map to 3 classes, softmax at 1: smooth probabilities a small MLP can match.
    private static (float[] Inputs, float[] Teacher) SmoothTeacher(int rows)
    {
        var random = new Random(1);
        var w = Enumerable.Range(0, 18).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var inputs = Enumerable.Range(0, rows * 6).Select(_ => (float)((random.NextDouble() * 4) - 1)).ToArray();
        var teacher = new float[rows * 3];
        for (var r = 0; r < rows; r++)
        {
            var z = new double[3];
            for (var c = 0; c < 3; c++)
            {
                for (var i = 0; i < 6; i++)
                {
                    z[c] += w[(c * 6) + i] * inputs[(r * 6) + i] * 2;
                }
            }

            var e = z.Select(Math.Exp).ToArray();
            for (var c = 0; c < 3; c++)
            {
                teacher[(r * 3) + c] = (float)(e[c] / e.Sum());
            }
        }

        return (inputs, teacher);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }
}
