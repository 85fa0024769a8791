-- One database per part (each service owns its data).
CREATE DATABASE gateway;
CREATE DATABASE matching;
CREATE DATABASE scheduling;
CREATE DATABASE consent;
CREATE DATABASE analytics;
