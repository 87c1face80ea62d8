// MPI for the app: the session and the ranks' votes (mpi_ranks.h). The only
// file that includes mpi.h; only the main thread calls MPI.
#include "mpi_ranks.h"

#include <cstdlib>

#ifdef EHCPSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace ehcpsim {

MpiSession::MpiSession(int& argc, char**& argv) {
#ifdef EHCPSIM_HAVE_MPI
    if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE") && !std::getenv("PMIX_RANK")) return;
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_.size);
    active_ = true;
#else
    (void)argc;
    (void)argv;
#endif
}

MpiSession::~MpiSession() {
#ifdef EHCPSIM_HAVE_MPI
    if (active_) MPI_Finalize();
#endif
}

namespace app_detail {

bool all_ranks_ok(const World& world, bool ok) {
#ifdef EHCPSIM_HAVE_MPI
    int started = 0;  // a world of several ranks without MPI is a test's (tests/test_app_resume.cpp)
    MPI_Initialized(&started);
    if (world.size > 1 && started) {
        int mine = ok ? 1 : 0, all = 0;
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        return all == 1;
    }
#else
    (void)world;
#endif
    return ok;
}

}  // namespace app_detail
}  // namespace ehcpsim
