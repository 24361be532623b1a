#include "augment/mixer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>

#include "ops/mpi_communicator.h"

namespace strobe {
namespace {

MixOptions Options(PartnerPolicy partners, LambdaMode mode = LambdaMode::kElement) {
  MixOptions o;
  o.mixup_alpha = 0.4;
  o.cutmix_alpha = 1.0;
  o.label_smoothing = 0.1;
  o.partners = partners;
  o.mode = mode;
  return o;
}

// Images whose every pixel holds the value `tag` + sample index / 1000, so partners can be identified.
at::Tensor TaggedImages(int64_t n, double tag) {
  return (at::arange(n, at::kFloat) / 1000 + tag).view({n, 1, 1, 1}).expand({n, 3, 8, 8}).contiguous();
}

class MixerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Mixer> Make(const MixOptions& options, int rank_seed = 0) {
    auto made = Mixer::Create(options, /*num_classes=*/10, RankStream{99, comm_.rank() + rank_seed}, comm_);
    EXPECT_TRUE(made.ok()) << made.status();
    return *std::move(made);
  }
  MpiCommunicator comm_;
};

TEST_F(MixerTest, SoftTargetsSumToOneAndFollowLambda) {
  auto mixer = Make(Options(PartnerPolicy::kFlip));
  const at::Tensor labels = at::arange(7, at::kLong);  // odd batch: the middle sample pairs with itself
  const MixResult r = mixer->Mix(TaggedImages(7, 0), labels, 0, 0);
  EXPECT_TRUE(at::allclose(r.targets.sum(1), at::ones({7}), 1e-5, 1e-6));
  for (int64_t i = 0; i < 7; ++i) {
    EXPECT_EQ(r.plan[i].partner, 6 - i);
    const float lam = r.plan[i].lam;
    if (i != 3) {
      EXPECT_NEAR(r.targets[i][i].item<float>(), lam * 0.91f + (1 - lam) * 0.01f, 1e-5);
    }
  }
}

TEST_F(MixerTest, RegressionTargetsMixWithTheSameLambda) {
  auto mixer = Make(Options(PartnerPolicy::kRoll));
  const at::Tensor scores = at::arange(12, at::kFloat).view({6, 2});  // an ordinal score and a second value
  const MixResult r = mixer->Mix(TaggedImages(6, 0), scores, 2, 0);
  for (int64_t i = 0; i < 6; ++i) {
    const float lam = r.plan[i].lam;
    const int64_t j = r.plan[i].partner;
    EXPECT_EQ(j, (i + 5) % 6);
    EXPECT_TRUE(at::allclose(r.targets[i], lam * scores[i] + (1 - lam) * scores[j], 1e-5, 1e-6));
  }
}

TEST_F(MixerTest, EveryPolicyPairsValidly) {
  for (PartnerPolicy policy : {PartnerPolicy::kFlip, PartnerPolicy::kRoll, PartnerPolicy::kPermute}) {
    auto mixer = Make(Options(policy));
    const MixResult r = mixer->Mix(TaggedImages(9, 0), at::zeros({9}, at::kLong), 4, 0);
    std::multiset<int64_t> partners;
    for (const SampleMix& s : r.plan) partners.insert(s.partner);
    for (int64_t i = 0; i < 9; ++i) EXPECT_EQ(partners.count(i), 1u) << PartnerPolicyName(policy);
  }
}

TEST_F(MixerTest, PreviousPolicyNeverPairsWithinABatch) {
  auto mixer = Make(Options(PartnerPolicy::kPrevious));
  const MixResult first = mixer->Mix(TaggedImages(4, 1), at::zeros({4}, at::kLong), 0, 0);
  EXPECT_TRUE(at::equal(first.images, TaggedImages(4, 1)));  // nothing to pair with yet: unmixed
  const MixResult second = mixer->Mix(TaggedImages(4, 2), at::ones({4}, at::kLong), 1, 0);
  for (int64_t i = 0; i < 4; ++i) {
    const SampleMix& s = second.plan[i];
    // Every pixel is a mix of batch 2's own sample i and batch 1's sample i.
    EXPECT_GE(second.images[i].min().item<float>(), 1 + i / 1000.0f - 1e-5f);
    EXPECT_LE(second.images[i].max().item<float>(), 2 + i / 1000.0f + 1e-5f);
    EXPECT_NEAR(second.targets[i][0].item<float>(), (1 - s.lam) * 0.91f + s.lam * 0.01f, 1e-5);
  }
}

// In place, the handed-over batch is the result; under `previous` the batch must survive unmixed as the next
// step's partners.
TEST_F(MixerTest, CpuBatchesAreMixedInPlaceExceptUnderPreviousPartners) {
  MixOptions options = Options(PartnerPolicy::kFlip);
  options.mixup_alpha = 0;  // CutMix only: its pixels are exactly one of the two sources
  const at::Tensor images = TaggedImages(6, 0);
  const MixResult flipped = Make(options)->Mix(images, at::zeros({6}, at::kLong), 1, 0);
  EXPECT_EQ(flipped.images.data_ptr(), images.data_ptr());
  for (int64_t i = 0; i < 6; ++i) {
    const at::Tensor own = at::full_like(images[i], i / 1000.0f);
    const at::Tensor theirs = at::full_like(images[i], (5 - i) / 1000.0f);
    const float kept = own.eq(flipped.images[i]).to(at::kFloat).mean().item<float>();
    EXPECT_TRUE(at::logical_or(flipped.images[i].eq(own), flipped.images[i].eq(theirs)).all().item<bool>());
    EXPECT_NEAR(kept, flipped.plan[i].lam, 1e-6) << i;
  }

  options.partners = PartnerPolicy::kPrevious;
  auto mixer = Make(options);
  mixer->Mix(TaggedImages(6, 1), at::zeros({6}, at::kLong), 0, 0);
  const at::Tensor second = TaggedImages(6, 2);
  const MixResult mixed = mixer->Mix(second, at::zeros({6}, at::kLong), 1, 0);
  EXPECT_NE(mixed.images.data_ptr(), second.data_ptr());
  EXPECT_TRUE(at::equal(second, TaggedImages(6, 2)));
  EXPECT_TRUE(at::equal(mixer->previous_images(), TaggedImages(6, 2)));
}

TEST_F(MixerTest, LambdaModes) {
  const MixResult batch = Make(Options(PartnerPolicy::kFlip, LambdaMode::kBatch))
                              ->Mix(TaggedImages(6, 0), at::zeros({6}, at::kLong), 1, 0);
  const MixResult pair = Make(Options(PartnerPolicy::kFlip, LambdaMode::kPair))
                             ->Mix(TaggedImages(6, 0), at::zeros({6}, at::kLong), 1, 0);
  const MixResult elem = Make(Options(PartnerPolicy::kFlip, LambdaMode::kElement))
                             ->Mix(TaggedImages(64, 0), at::zeros({64}, at::kLong), 1, 0);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(batch.plan[i].lam, batch.plan[0].lam);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(pair.plan[i].lam, pair.plan[5 - i].lam);
  std::set<float> distinct;
  for (const SampleMix& s : elem.plan) distinct.insert(s.lam);
  EXPECT_GT(distinct.size(), 32u);
}

TEST_F(MixerTest, OffEpochStopsMixingButKeepsSmoothing) {
  MixOptions options = Options(PartnerPolicy::kFlip);
  options.off_epoch = 2;
  auto mixer = Make(options);
  const MixResult r = mixer->Mix(TaggedImages(4, 0), at::arange(4, at::kLong), 10, 2);
  EXPECT_TRUE(at::equal(r.images, TaggedImages(4, 0)));
  EXPECT_NEAR(r.targets[1][1].item<float>(), 0.91f, 1e-6);
}

TEST_F(MixerTest, ReproducibleFromSeedDifferentAcrossRanksAndAfterRestore) {
  const MixOptions options = Options(PartnerPolicy::kPrevious);
  auto a = Make(options);
  auto b = Make(options);
  auto other_rank = Make(options, /*rank_seed=*/1000);
  std::vector<MixResult> results;
  for (int64_t step = 0; step < 6; ++step) {
    at::manual_seed(step);
    const at::Tensor images = at::randn({5, 1, 6, 6});
    const at::Tensor labels = at::randint(0, 10, {5}, at::kLong);
    results.push_back(a->Mix(images, labels, step, 0));
    const MixResult again = b->Mix(images, labels, step, 0);
    EXPECT_TRUE(at::equal(results.back().images, again.images));
    const MixResult elsewhere = other_rank->Mix(images, labels, step, 0);
    if (step > 0) {
      EXPECT_FALSE(at::equal(elsewhere.images, again.images));
    }
    if (step == 2) {
      // A restarted run: a fresh mixer given the saved previous batch continues identically.
      b = Make(options);
      b->RestorePrevious(a->previous_images(), a->previous_targets());
    }
  }
}

TEST_F(MixerTest, RingPartnersAreTheBatchOfThePlannedRank) {
  auto mixer = Make(Options(PartnerPolicy::kRing));
  for (int64_t step = 0; step < 4; ++step) {
    const MixResult r = mixer->Mix(TaggedImages(4, comm_.rank()), at::full({4}, int64_t{comm_.rank()}), step, 0);
    const int peer = comm_.world_size() == 1 ? comm_.rank() : r.partners.receive_from;
    if (comm_.world_size() > 1) {
      EXPECT_EQ(peer, (comm_.rank() - 1 - step % (comm_.world_size() - 1) + comm_.world_size()) % comm_.world_size());
      EXPECT_NE(peer, comm_.rank());
      for (int64_t i = 0; i < 4; ++i) {
        const float lam = r.plan[i].lam;
        // Targets: own class `rank` with weight lam, the peer's class with 1 - lam (smoothing 0.1 of 10 classes).
        EXPECT_NEAR(r.targets[i][peer].item<float>(), (1 - lam) * 0.9f + 0.01f, 1e-5);
        // Pixels: only own and peer values occur.
        const at::Tensor pixels = r.images[i];
        const at::Tensor own = at::full_like(pixels, comm_.rank() + i / 1000.0f);
        const at::Tensor theirs = at::full_like(pixels, peer + i / 1000.0f);
        const at::Tensor blend = lam * own + (1 - lam) * theirs;
        EXPECT_TRUE(at::allclose(pixels, blend, 1e-5, 1e-5) ||
                    at::logical_or(pixels.eq(own), pixels.eq(theirs)).all().item<bool>());
      }
    }
  }
}

}  // namespace
}  // namespace strobe
