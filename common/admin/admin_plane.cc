#include "admin/admin_plane.h"

#include "apps/command_labels.h"
#include "diameter/stack.h"

namespace roamkey::admin {

AdminPlane::AdminPlane(std::string program, const config::AdminConfig& config) : program_(std::move(program)) {
  if (config.metrics) registry_.emplace(program_);
  if (config.port != 0) server_ = std::make_unique<AdminServer>(config.address, config.port);
}

AdminPlane::~AdminPlane() {
  stop();
}

void AdminPlane::attach(diameter::Stack& stack, std::function<Readiness()> readiness) {
  if (registry_) {
    diameter_.emplace(*registry_, apps::command_labels());
    diameter_->watch_peers(stack);
    stack.observe_traffic(&*diameter_);
  }
  if (server_) add_status_routes(*server_, {program_, &stack, metrics(), std::move(readiness)});
}

void AdminPlane::start() {
  if (server_) server_->start();
}

void AdminPlane::stop() {
  if (server_) server_->stop();
}

}  // namespace roamkey::admin
