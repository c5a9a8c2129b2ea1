namespace Usher.Backends.Onnx.Distillation;

/// <summary>How <see cref="StudentTrainer"/> trains.</summary>
/// <param name="Temperature">The distillation temperature T; default 2 (1 with one-hot labels is plain cross-entropy).</param>
/// <param name="Epochs">The most passes over the training rows; default 30.</param>
/// <param name="Seed">Seeds the initial weights, the held-out split and the shuffles; default 1.</param>
/// <param name="BatchSize">Rows per Adam step; default 64.</param>
/// <param name="LearningRate">Adam's learning rate; default 0.002.</param>
/// <param name="Patience">Epochs without a better held-out agreement before stopping; default 5.</param>
/// <param name="HeldOutShare">The share of rows kept out of training to judge it; default 0.2.</param>
internal sealed record TrainingOptions(
    float Temperature = 2f,
    int Epochs = 30,
    ulong Seed = 1,
    int BatchSize = 64,
    float LearningRate = 0.002f,
    int Patience = 5,
    double HeldOutShare = 0.2);
