using System.Numerics.Tensors;
using Usher.Backends.Onnx.Samples;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// Trains an <see cref="MlpNetwork"/> on target probabilities (a teacher's, or one-hot labels):
/// inputs standardized on the training rows, He-initialized weights, Adam on shuffled mini-batches,
/// the distillation loss at a temperature, and early stopping on the held-out rows' top-1 agreement
/// (the best epoch's weights are kept). Single-threaded and seeded: the same data, options and
/// machine give the same network.
/// </summary>
internal static class StudentTrainer
{
    private const int EvaluationBatch = 256;

    /// <summary>
    /// Trains a network of <paramref name="sizes"/> (input first, classes last) on <paramref name="rows"/>
    /// rows of <paramref name="inputs"/> (<c>rows × sizes[0]</c>) against <paramref name="probabilities"/>
    /// (<c>rows × classes</c>, each row summing to 1). <paramref name="progress"/> hears of every epoch.
    /// </summary>
    public static TrainedStudent Train(IReadOnlyList<int> sizes, float[] inputs, float[] probabilities, int rows, TrainingOptions options, Action<EpochResult>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(options);
        int features = sizes[0], classes = sizes[^1];
        if (inputs.Length < (long)rows * features || probabilities.Length < (long)rows * classes || rows < 2)
        {
            throw new ArgumentException("inputs and probabilities must hold every row, and at least 2 rows");
        }

        var random = new SplitMix64(options.Seed);
        var order = Enumerable.Range(0, rows).ToArray();
        Shuffle(order, random);
        var heldOutCount = Math.Clamp((int)Math.Round(rows * options.HeldOutShare), 1, rows - 1);
        var heldOut = order[..heldOutCount];
        var training = order[heldOutCount..];

        var (mean, scale) = Standardization(inputs, features, training);
        var x = new float[inputs.Length];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * features, features);
            TensorPrimitives.Subtract(inputs.AsSpan(r * features, features), mean, row);
            TensorPrimitives.Divide(row, scale, row);
        }

        var targets = new float[rows * classes];
        DistillationLoss.Soften(probabilities.AsSpan(0, rows * classes), classes, options.Temperature, targets);

        var network = MlpNetwork.Initialize(sizes, random.Next());
        var best = network.Clone();
        var adam = new AdamOptimizer(network.Parameters.Length, options.LearningRate);
        var batch = Math.Max(1, options.BatchSize);
        var backprop = new Backpropagation(network, batch);
        var gradient = new float[network.Parameters.Length];
        var batchInputs = new float[batch * features];
        var batchTargets = new float[batch * classes];
        var epochs = new List<EpochResult>();
        var bestEpoch = 0;
        for (var epoch = 1; epoch <= Math.Max(1, options.Epochs); epoch++)
        {
            Shuffle(training, random);
            double lossSum = 0;
            var steps = 0;
            for (var start = 0; start < training.Length; start += batch)
            {
                var n = Math.Min(batch, training.Length - start);
                Gather(x, features, training.AsSpan(start, n), batchInputs);
                Gather(targets, classes, training.AsSpan(start, n), batchTargets);
                lossSum += backprop.Run(batchInputs, batchTargets, n, options.Temperature, gradient);
                adam.Step(network.Parameters, gradient);
                steps++;
            }

            var (heldOutLoss, agreement) = Evaluate(network, x, targets, probabilities, heldOut, options.Temperature);
            var result = new EpochResult(epoch, lossSum / Math.Max(1, steps), heldOutLoss, agreement);
            epochs.Add(result);
            progress?.Invoke(result);
            if (bestEpoch == 0 || IsBetter(result, epochs[bestEpoch - 1]))
            {
                bestEpoch = epoch;
                best.CopyFrom(network);
            }
            else if (epoch - bestEpoch >= Math.Max(1, options.Patience))
            {
                break;
            }
        }

        Array.Sort(heldOut);
        return new TrainedStudent(best.FoldInputScaling(mean, scale), epochs, bestEpoch, heldOut);
    }

    private static bool IsBetter(EpochResult candidate, EpochResult best)
        => candidate.HeldOutAgreement > best.HeldOutAgreement
            || (candidate.HeldOutAgreement == best.HeldOutAgreement && candidate.HeldOutLoss < best.HeldOutLoss);

    private static (double Loss, double Agreement) Evaluate(MlpNetwork network, float[] x, float[] targets, float[] probabilities, int[] rows, float temperature)
    {
        int features = network.Sizes[0], classes = network.Sizes[^1];
        var inputs = new float[EvaluationBatch * features];
        var batchTargets = new float[EvaluationBatch * classes];
        double loss = 0;
        var agreeing = 0;
        for (var start = 0; start < rows.Length; start += EvaluationBatch)
        {
            var n = Math.Min(EvaluationBatch, rows.Length - start);
            var indices = rows.AsSpan(start, n);
            Gather(x, features, indices, inputs);
            Gather(targets, classes, indices, batchTargets);
            var logits = network.Logits(inputs.AsSpan(0, n * features), n);
            loss += DistillationLoss.Compute(logits, batchTargets, n, classes, temperature, []) * n;
            for (var i = 0; i < n; i++)
            {
                if (TensorPrimitives.IndexOfMax(logits.AsSpan(i * classes, classes)) == TensorPrimitives.IndexOfMax(probabilities.AsSpan(indices[i] * classes, classes)))
                {
                    agreeing++;
                }
            }
        }

        return (loss / rows.Length, (double)agreeing / rows.Length);
    }

    private static (float[] Mean, float[] Scale) Standardization(float[] inputs, int features, int[] rows)
    {
        var mean = new double[features];
        var squares = new double[features];
        foreach (var r in rows)
        {
            for (var f = 0; f < features; f++)
            {
                double v = inputs[(r * features) + f];
                mean[f] += v;
                squares[f] += v * v;
            }
        }

        var m = new float[features];
        var s = new float[features];
        for (var f = 0; f < features; f++)
        {
            var mu = mean[f] / rows.Length;
            var variance = Math.Max(0, (squares[f] / rows.Length) - (mu * mu));

            // A constant feature is left unscaled, so that folding the scaling into the first layer stays finite.
            (m[f], s[f]) = ((float)mu, variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f);
        }

        return (m, s);
    }

    private static void Gather(float[] source, int width, ReadOnlySpan<int> rows, float[] destination)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            source.AsSpan(rows[i] * width, width).CopyTo(destination.AsSpan(i * width, width));
        }
    }

    private static void Shuffle(int[] values, SplitMix64 random)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = (int)(random.Next() % (ulong)(i + 1));
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
