using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;
using Xunit.Abstractions;

namespace Usher.Core.Tests.Inference;

/// <summary>
/// Allocation budget of validating a request (docs/benchmarks.md states it): a <c>fraud</c>-shaped
/// request (one input, the model's two outputs, none named by the client) may allocate its validated
/// record and the array of its inputs, nothing built from the signature per request. Validation has no
/// async path, so the figure is the same in Debug and Release.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class RequestValidatorAllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// The validated record and a one-element input array: 120 B measured. Before, each request also
    /// built a dictionary of its inputs by name (the dictionary, its buckets and entries) and both
    /// lists of output names, several hundred bytes more; the budget leaves room for a one-off, not
    /// for any of them.
    /// </summary>
    public const long ValidateBudget = 160;

    private const int Loops = 500;
    private const int Rounds = 5;

    private static readonly ModelSignature Fraud = new(
        [new TensorSpec("features", DataType.Fp32, [-1, 30])],
        [new TensorSpec("probabilities", DataType.Fp32, [-1, 2]), new TensorSpec("label", DataType.Int64, [-1])],
        maxBatchSize: 64,
        new Dictionary<string, string>());

    [Fact]
    public void Validate_AFraudRequest_AllocatesOnlyItsValidatedRecord()
    {
        var request = new InferenceRequest
        {
            ModelName = "fraud",
            Inputs = [Tensor.FromBytes("features", DataType.Fp32, [1, 30], new byte[120])],
        };
        var first = RequestValidator.Validate(request, Fraud);
        Assert.True(first.IsSuccess);
        Assert.Equal(["probabilities", "label"], first.Value.OutputClientNames);
        Assert.Equal(["probabilities", "label"], first.Value.OutputFileNames);
        Assert.Same(request.Inputs[0], first.Value.Inputs[0]);

        var lowest = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Loops; i++)
            {
                if (!RequestValidator.Validate(request, Fraud).IsSuccess)
                {
                    Assert.Fail("a valid request failed validation");
                }
            }

            lowest = Math.Min(lowest, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Loops);
        }

        output.WriteLine($"validate: {lowest:F0} B per request");
        Assert.True(lowest <= ValidateBudget, $"validating a fraud request allocated {lowest:F0} B; budget {ValidateBudget}");
    }
}
